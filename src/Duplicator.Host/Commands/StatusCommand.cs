using System.CommandLine;
using System.Text.Json;
using Duplicator.Host.Configuration;
using Duplicator.Host.Control;
using Duplicator.Mastering.Imapi;

namespace Duplicator.Host.Commands;

/// <summary><c>duplicator status [--json]</c>: drives and batches of the running host named by the config.</summary>
internal static class StatusCommand
{
    public static Command Create()
    {
        var config = new Option<string>("--config") { Description = "the tower's config file (its control.listen says where the host is)", DefaultValueFactory = _ => "config/duplicator.json" };
        var json = new Option<bool>("--json") { Description = "print JSON instead of a table" };
        var cmd = new Command("status", "show the drives and batches of the running host") { config, json };
        cmd.SetAction(parse => Cli.Run(ct =>
        {
            var tower = ConfigLoader.Load(parse.GetValue(config)!);
            using var client = new ControlClient(tower.Control.Listen, tower.Control.Token);
            if (!client.IsRunningAsync(ct).GetAwaiter().GetResult())
                throw new ImapiException(ImapiError.DeviceNotAccessible, $"no duplicator host answers at {tower.Control.Listen} (start one with: duplicator serve)");
            var drives = client.DrivesAsync(ct).GetAwaiter().GetResult();
            var batches = client.BatchesAsync(ct).GetAwaiter().GetResult();
            var sets = client.SetsAsync(ct).GetAwaiter().GetResult();
            Console.Write(parse.GetValue(json) ? Json(drives, batches, sets) : Table(drives, batches, sets));
            return ExitCodes.Ok;
        }));
        return cmd;
    }

    internal static string Json(IReadOnlyList<DriveView> drives, IReadOnlyList<BatchView> batches, IReadOnlyList<SetSummaryView>? sets = null) =>
        JsonSerializer.Serialize(sets is { Count: > 0 } ? new { drives, batches, sets } : (object)new { drives, batches }, new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true }) + Environment.NewLine;

    private static string Seconds(double? s) => s is { } v ? $"{v:0}s" : "-";

    internal static string Table(IReadOnlyList<DriveView> drives, IReadOnlyList<BatchView> batches, IReadOnlyList<SetSummaryView>? sets = null)
    {
        var sb = new System.Text.StringBuilder();
        // A floor of towers lists every tower's drives: a TOWER column first (a standalone tower's table is unchanged).
        bool floor = drives.Any(d => d.Tower != null);
        string Tower(string? t) => floor ? $"{t ?? "-",-10} " : "";
        sb.AppendLine($"{Tower("TOWER")}{"DRIVE",-12} {"STATE",-12} {"%",5} {"MB/s",7} {"ETA",7} {"DISC",-20} {"GOOD",5} {"BAD",4}  URL");
        foreach (var d in drives)
            sb.AppendLine($"{Tower(d.Tower)}{d.Id,-12} {(d.Quarantined ? "quarantined" : d.State),-12} {d.Percent,5:0} {d.BytesPerSecond / 1e6,7:0.0} {Seconds(d.EtaSeconds),7} {(d.Disc is { } n ? $"{d.BatchId}#{n}" : "-"),-20} {d.Good,5} {d.Bad,4}  {d.Url}");
        sb.AppendLine();
        sb.AppendLine($"{"BATCH",-24} {"STATE",-10} {"GOOD",5} {"BAD",4} {"LEFT",5} {"ETA",7}  SOURCE");
        foreach (var b in batches)
            sb.AppendLine($"{b.Id,-24} {b.State,-10} {b.Good,5} {b.Bad,4} {b.Remaining,5} {Seconds(b.EtaSeconds),7}  {b.Source}{(b.State is "failed" or "cancelled" ? $" ({b.Reason})" : "")}");
        if (sets is { Count: > 0 })
        {
            sb.AppendLine();
            foreach (var set in sets) // a line per disc set job: its members are the batches SET~1..SET~K above
                sb.AppendLine($"set {set.Id}: {set.Complete} of {set.Copies} complete ({set.Images} images, {set.State})");
        }
        return sb.ToString();
    }
}
