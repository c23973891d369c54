using System.Globalization;
using System.Text;
using Duplicator.Host.Configuration;
using Duplicator.Host.Control;
using Duplicator.Mastering.Imapi;

namespace Duplicator.Host.Commands;

/// <summary>
/// <c>duplicator drives --history</c>: every drive's lifetime counts as the running host's drive history holds them
/// (asked over the control API at the config's control.listen; the drives themselves are not opened).
/// </summary>
internal static class DriveHistoryTable
{
    /// <summary>Asks the host named by <paramref name="configPath"/> and prints the table (or JSON); exit 1 when no host answers.</summary>
    public static int Print(string configPath, bool json, CancellationToken ct)
    {
        var tower = ConfigLoader.Load(configPath);
        using var client = new ControlClient(tower.Control.Listen, tower.Control.Token);
        if (!client.IsRunningAsync(ct).GetAwaiter().GetResult())
            throw new ImapiException(ImapiError.DeviceNotAccessible, $"no duplicator host answers at {tower.Control.Listen}: the drive history is the host's (start one with: duplicator serve)");
        var drives = client.DrivesAsync(ct).GetAwaiter().GetResult();
        Console.Write(json ? StatusCommand.Json(drives, []) : Table(drives));
        return ExitCodes.Ok;
    }

    /// <summary>One line per drive (good, bad, refused, GB written, hours writing, underruns, the last failure), then its last failures indented.</summary>
    internal static string Table(IReadOnlyList<DriveView> drives)
    {
        var sb = new StringBuilder();
        var ci = CultureInfo.InvariantCulture;
        sb.AppendLine($"{"DRIVE",-12} {"GOOD",6} {"BAD",5} {"REFUSED",7} {"GB",9} {"HOURS",8} {"UNDERRUNS",9}  LAST FAILURE");
        foreach (var d in drives)
        {
            if (d.History is not { } h)
            {
                sb.AppendLine($"{d.Id,-12} {0,6} {0,5} {0,7} {0,9:0.000} {0,8:0.00} {0,9}  -");
                continue;
            }
            var last = h.LastFailures.Count > 0 ? Describe(h.LastFailures[0]) : "-";
            sb.AppendLine(ci, $"{d.Id,-12} {h.Good,6} {h.Bad,5} {h.Refused,7} {h.BytesWritten / 1e9,9:0.000} {h.HoursWriting,8:0.00} {h.Underruns,9}  {last}");
            foreach (var f in h.LastFailures.Skip(1))
                sb.AppendLine($"{"",-12} {"",6} {"",5} {"",7} {"",9} {"",8} {"",9}  {Describe(f)}");
        }
        return sb.ToString();
    }

    private static string Describe(DriveFailureView f) =>
        $"{f.At.UtcDateTime:yyyy-MM-dd HH:mm:ss}Z {f.BatchId}#{f.Disc} {(f.Sense is { } s ? $"{s}{(f.Lba is { } l ? $" at LBA {l}" : "")} " : "")}{f.Code ?? ""}{(f.Code is null ? "" : ": ")}{Cut(f.Reason)}";

    private static string Cut(string s) => s.Length > 120 ? s[..120] + "..." : s;
}
