using System.Text;
using Duplicator.Host.Control;

namespace Duplicator.Host.Commands;

/// <summary>
/// What `burn --wait` shows while a batch runs. At an interactive terminal: a block of progress bars (one per
/// drive, with rate and ETA, under a line with the batch's good / bad / remaining and ETA) redrawn in place.
/// Otherwise: one plain structured line per change, for logs.
/// </summary>
internal sealed class LiveView(TextWriter output, bool interactive)
{
    private int _drawn;
    private string? _lastBatch;
    private readonly Dictionary<string, string> _lastDrive = [];
    private readonly HashSet<int> _reported = [];

    public void Show(BatchDetail batch, IReadOnlyList<DriveView> drives)
    {
        if (interactive) Draw(batch.Batch, drives, LastFailure(batch));
        else Lines(batch, drives);
    }

    /// <summary>A failed disc in one line: its codes when it has them ("disc 2: 03/0C/00 write error at LBA 123456 on drive-3"), else its reason.</summary>
    public static string Failure(DiscView d) => $"disc {d.Number}: {d.Detail ?? d.Reason ?? "failed"}";

    private static string? LastFailure(BatchDetail batch) =>
        batch.Discs.LastOrDefault(d => d.State == "failed") is { } f ? Failure(f) : null;

    /// <summary>The frame at an interactive terminal (public for tests).</summary>
    public static IReadOnlyList<string> Frame(BatchView b, IReadOnlyList<DriveView> drives, int width = 30, string? lastFailure = null)
    {
        var lines = new List<string>
        {
            $"batch {b.Id}: {b.State}, {b.Good}/{b.Copies} good, {b.Bad} bad, {b.Remaining} to go{(b.EtaSeconds is { } e ? $", ETA {Eta(e)}" : "")}",
        };
        foreach (var d in drives)
        {
            int filled = (int)Math.Round(Math.Clamp(d.Percent, 0, 100) / 100 * width);
            var bar = new string('#', filled) + new string('.', width - filled);
            var disc = d.Disc is { } n ? $" disc {n}" : "";
            var eta = d.EtaSeconds is { } s ? $" ETA {Eta(s)}" : "";
            lines.Add($"  {(d.Tower is { } t ? t + "/" : "")}{d.Id,-10} {d.State,-11} [{bar}] {d.Percent,5:0.0}% {d.BytesPerSecond / 1e6,7:0.0} MB/s{eta}{disc}  good {d.Good} bad {d.Bad}");
        }
        if (lastFailure != null) lines.Add($"  last failure: {lastFailure}");
        return lines;
    }

    private void Draw(BatchView b, IReadOnlyList<DriveView> drives, string? lastFailure)
    {
        var sb = new StringBuilder();
        if (_drawn > 0) sb.Append($"\u001b[{_drawn}A"); // back to the top of the previous frame
        var frame = Frame(b, drives, lastFailure: lastFailure);
        foreach (var line in frame) sb.Append("\u001b[2K").Append(line).Append('\n');
        _drawn = frame.Count;
        output.Write(sb.ToString());
        output.Flush();
    }

    private void Lines(BatchDetail detail, IReadOnlyList<DriveView> drives)
    {
        var b = detail.Batch;
        foreach (var f in detail.Discs.Where(d => d.State == "failed" && _reported.Add(d.Number)))
            output.WriteLine($"{DateTime.UtcNow:yyyy-MM-ddTHH:mm:ssZ} {Failure(f)}");
        var batchLine = $"batch={b.Id} state={b.State} good={b.Good} bad={b.Bad} remaining={b.Remaining} copies={b.Copies}";
        if (batchLine != _lastBatch)
        {
            output.WriteLine($"{DateTime.UtcNow:yyyy-MM-ddTHH:mm:ssZ} {batchLine}");
            _lastBatch = batchLine;
        }
        foreach (var d in drives)
        {
            var line = $"drive={d.Id} state={d.State} disc={d.Disc?.ToString() ?? "-"} good={d.Good} bad={d.Bad}";
            if (_lastDrive.TryGetValue(d.Id, out var last) && last == line) continue;
            _lastDrive[d.Id] = line;
            output.WriteLine($"{DateTime.UtcNow:yyyy-MM-ddTHH:mm:ssZ} {line}");
        }
    }

    private static string Eta(double seconds) => seconds >= 3600 ? $"{(int)(seconds / 3600)}h{(int)(seconds % 3600 / 60):00}m"
        : seconds >= 60 ? $"{(int)(seconds / 60)}m{(int)(seconds % 60):00}s" : $"{seconds:0}s";
}
