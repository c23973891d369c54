using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Duplicator.Host.Control;
using Duplicator.Host.Tests.Serving;

namespace Duplicator.Host.Tests.WebConsole;

/// <summary>`GET /metrics` of a real `duplicator serve` scraped while a batch runs, and compared with the ledger and the discs at the end.</summary>
public sealed partial class MetricsScrapeTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(180);

    /// <summary>One Prometheus text sample: name, labels, value.</summary>
    private sealed record Sample(string Name, Dictionary<string, string> Labels, double Value);

    private static async Task<List<Sample>> Scrape(HttpClient http, string baseAddress)
    {
        var response = await http.GetAsync(baseAddress + "/metrics");
        Assert.True(response.IsSuccessStatusCode, $"GET /metrics: {(int)response.StatusCode}");
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType ?? "");
        var samples = new List<Sample>();
        foreach (var line in (await response.Content.ReadAsStringAsync()).Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#') continue;
            var m = SampleLine().Match(line);
            Assert.True(m.Success, $"not a Prometheus sample: {line}");
            var labels = LabelPair().Matches(m.Groups["labels"].Value).ToDictionary(l => l.Groups[1].Value, l => l.Groups[2].Value);
            samples.Add(new Sample(m.Groups["name"].Value, labels, double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture)));
        }
        return samples;
    }

    private static double Value(List<Sample> samples, string name, params (string Key, string Value)[] labels) =>
        samples.Where(s => s.Name == name && labels.All(l => s.Labels.GetValueOrDefault(l.Key) == l.Value)).Sum(s => s.Value);

    [Fact]
    public async Task Scrapes_during_a_batch_show_the_counters_moving_and_at_the_end_they_match_the_ledger_and_the_discs()
    {
        using var tower = new ServeProcess(drives: 2, speed: 2);
        var src = Directory.CreateDirectory(Path.Combine(tower.Dir, "src")).FullName;
        var payload = new byte[8_000_000];
        new Random(5).NextBytes(payload);
        File.WriteAllBytes(Path.Combine(src, "payload.bin"), payload);
        await tower.StartAsync();
        using var client = tower.Client();
        using var http = new HttpClient();
        const int copies = 4;
        await client.SubmitAsync(JsonSerializer.Serialize(new { schema = "duplicator.job/1", id = "metered", folder = src, copies }), CancellationToken.None);

        // While it runs: the bytes written, read at each scrape, only go up, and go up between two scrapes at least once.
        var written = new List<double>();
        var goodSeen = new SortedSet<double>();
        var deadline = DateTime.UtcNow + Long;
        BatchDetail batch;
        while (true)
        {
            batch = await client.BatchAsync("metered", CancellationToken.None);
            if (batch.Batch.IsFinished) break;
            var samples = await Scrape(http, tower.BaseAddress);
            written.Add(Value(samples, "duplicator_drive_written_bytes_total"));
            goodSeen.Add(Value(samples, "duplicator_batch_discs", ("batch", "metered"), ("kind", "good")));
            Assert.True(DateTime.UtcNow < deadline, $"batch still {batch.Batch.State} after {Long}");
            await Task.Delay(200);
        }
        Assert.Equal("completed", batch.Batch.State);
        for (int i = 1; i < written.Count; i++) Assert.True(written[i] >= written[i - 1], $"bytes written went down: {written[i - 1]} then {written[i]}");
        Assert.Contains(written.Zip(written.Skip(1)), p => p.Item2 > p.Item1 && p.Item1 > 0);
        Assert.Contains(goodSeen, g => g < copies); // scraped before the end, not only at it

        // At the end: per drive, good discs = the ledger's completed discs on it; bytes written = the sizes of what the
        // emulated drive wrote to its disc files (an independent count); the batch's gauges = the ledger's counts.
        var completed = batch.Discs.Where(d => d.State == "completed").GroupBy(d => d.Drive).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(copies, completed.Values.Sum());
        var failed = batch.Discs.Count(d => d.State == "failed");
        List<Sample> end = [];
        string mismatch = "";
        for (var until = DateTime.UtcNow.AddSeconds(60); ; await Task.Delay(250))
        {
            end = await Scrape(http, tower.BaseAddress);
            mismatch = string.Join("; ", new[] { "drive-1", "drive-2" }.Select(drive =>
            {
                var good = Value(end, "duplicator_drive_discs_total", ("drive", drive), ("result", "good"));
                var bytes = Value(end, "duplicator_drive_written_bytes_total", ("drive", drive));
                var onDisc = Directory.Exists(Path.Combine(tower.Discs, drive))
                    ? Directory.GetFiles(Path.Combine(tower.Discs, drive), "*.iso").Sum(f => new FileInfo(f).Length) : 0;
                return good == completed.GetValueOrDefault(drive) && bytes == onDisc ? "" : $"{drive}: good {good} vs ledger {completed.GetValueOrDefault(drive)}, bytes {bytes} vs discs {onDisc}";
            }).Where(m => m.Length > 0));
            var batchGood = Value(end, "duplicator_batch_discs", ("batch", "metered"), ("kind", "good"));
            var batchLeft = Value(end, "duplicator_batch_discs", ("batch", "metered"), ("kind", "remaining"));
            if (batchGood != copies || batchLeft != 0) mismatch += $"; batch gauges good {batchGood} remaining {batchLeft} vs ledger {copies} and 0";
            if (mismatch.Length == 0 || DateTime.UtcNow > until) break;
        }
        Assert.True(mismatch.Length == 0, mismatch);
        Assert.Equal(failed, Value(end, "duplicator_drive_discs_total", ("result", "bad")));
        Assert.Equal(copies, Value(end, "duplicator_batch_discs", ("batch", "metered"), ("kind", "good")));
        Assert.Equal(batch.Batch.Bad, Value(end, "duplicator_batch_discs", ("batch", "metered"), ("kind", "bad")));
        Assert.Equal(0, Value(end, "duplicator_batch_discs", ("batch", "metered"), ("kind", "remaining")));
        Assert.True(Value(end, "duplicator_drive_written_bytes_total") >= copies * payload.Length);
        // Every drive is in exactly one state.
        foreach (var drive in new[] { "drive-1", "drive-2" })
            Assert.Equal(1, Value(end, "duplicator_drive_state", ("drive", drive)));

        // Underruns per drive: the same count the drive history keeps (the emulated drive counts them).
        var history = (await client.DrivesAsync(CancellationToken.None)).ToDictionary(d => d.Id, d => d.History);
        foreach (var drive in new[] { "drive-1", "drive-2" })
            Assert.Equal(history[drive]?.Underruns ?? 0, Value(end, "duplicator_drive_underruns_total", ("drive", drive)));
        Assert.Contains(end, x => x.Name == "duplicator_drive_underruns_total");
        // Ledger writes: at least one timed write per disc the ledger recorded (started, then completed or failed), each took time.
        Assert.True(Value(end, "duplicator_ledger_write_seconds_count") >= 2 * batch.Discs.Count, $"ledger writes {Value(end, "duplicator_ledger_write_seconds_count")} for {batch.Discs.Count} discs");
        Assert.True(Value(end, "duplicator_ledger_write_seconds_sum") > 0);
    }

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})?\s+(?<value>[-+0-9.eE]+|NaN|[+-]Inf)(\s+\d+)?$")]
    private static partial Regex SampleLine();

    [GeneratedRegex(@"(\w+)=""((?:[^""\\]|\\.)*)""")]
    private static partial Regex LabelPair();
}
