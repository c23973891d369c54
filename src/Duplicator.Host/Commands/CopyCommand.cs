using System.CommandLine;
using System.Text.Json;
using Duplicator.Host.Configuration;
using Duplicator.Host.Control;
using Duplicator.Host.Jobs;

namespace Duplicator.Host.Commands;

/// <summary>
/// <c>duplicator copy --from DRIVE --copies N [--config F] [--drives A,B] [--verify] [--id ID] [--wait]</c>: the front
/// panel's "copy this disc". DRIVE is a drive id of the config holding the master; its disc is read once into the stash
/// and burned N times on the other drives of the config (or those given). Submitted to the running host, else run in
/// this process, as <c>burn</c> does; with --wait the exit code is 0 only with N good copies.
/// </summary>
internal static class CopyCommand
{
    public static Command Create()
    {
        var config = new Option<string>("--config") { Description = "the tower's config file", DefaultValueFactory = _ => "config/duplicator.json" };
        var from = new Option<string>("--from") { Description = "the drive id (of the config) holding the master disc", Required = true };
        var copies = new Option<int>("--copies") { Description = "good copies wanted", Required = true };
        var drives = new Option<string?>("--drives") { Description = "comma-separated drive ids to burn on (default: every other drive of the config)" };
        var verify = new Option<bool?>("--verify") { Description = "read every copy back and compare (default: the config's)" };
        var wait = new Option<bool>("--wait") { Description = "wait until the batch ends; exit 0 only with all good copies" };
        var id = new Option<string?>("--id") { Description = "batch id (resubmitting an id returns that batch)" };
        var cmd = new Command("copy", "copy the master disc in one drive onto N discs burned on the others") { config, from, copies, drives, verify, wait, id };
        cmd.SetAction(parse => Cli.Run(ct =>
        {
            var master = parse.GetValue(from)!;
            var tower = ConfigLoader.Load(parse.GetValue(config)!);
            var job = JobJson(tower, master, parse.GetValue(copies), parse.GetValue(drives), parse.GetValue(verify), parse.GetValue(id));
            using var client = new ControlClient(tower.Control.Listen, tower.Control.Token);
            if (client.IsRunningAsync(ct).GetAwaiter().GetResult())
            {
                var batch = client.SubmitAsync(job, ct).GetAwaiter().GetResult();
                Console.Error.WriteLine($"duplicator: batch {batch.Id} submitted to the host at {tower.Control.Listen}: {batch.Copies} copies of the disc in {master}");
                if (!parse.GetValue(wait)) return ExitCodes.Ok;
                return BurnCommand.Follow(batch.Id, c => client.BatchAsync(batch.Id, c).GetAwaiter().GetResult(), c => client.DrivesAsync(c).GetAwaiter().GetResult(), ct);
            }
            return BurnCommand.InProcess(tower, job, ct);
        }));
        return cmd;
    }

    /// <summary>The job document: the master drive, and the drives to burn on (usage errors name the config's drives).</summary>
    internal static string JobJson(TowerConfig tower, string master, int copies, string? drives, bool? verify, string? id)
    {
        var ids = tower.Drives.Select(d => d.Id).ToArray();
        if (!ids.Contains(master, StringComparer.Ordinal))
            throw new UsageException($"copy: --from '{master}' is not a drive of the config (it has {string.Join(", ", ids)})");
        var burners = drives is null
            ? ids.Where(d => d != master).ToArray()
            : drives.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (burners.Length == 0)
            throw new UsageException($"copy: the config has no drive beside {master} to burn the copies on");
        var doc = new Dictionary<string, object?> { ["schema"] = JobRequestParser.Schema, ["master"] = master, ["copies"] = copies, ["drives"] = burners };
        if (id != null) doc["id"] = id;
        if (verify != null) doc["verify"] = verify;
        return JsonSerializer.Serialize(doc);
    }
}
