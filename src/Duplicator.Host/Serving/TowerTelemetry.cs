using System.Diagnostics.Metrics;
using Duplicator.Actors.Batches;
using Duplicator.Actors.Recorders;
using Duplicator.Actors.Supervision;
using Duplicator.Host.Control;

namespace Duplicator.Host.Serving;

/// <summary>
/// What the tower's published changes add up to, for the metrics (an OpenTelemetry <see cref="Meter"/> named
/// <see cref="MeterName"/>, scraped at <c>/metrics</c>) and for the web console (<see cref="ITowerFeed"/>): per drive
/// its state, rate, good and bad discs, bytes written and last failure; per batch its good, bad and remaining discs.
/// Fed by one actor (<see cref="TelemetryFeeder"/>) and read from any thread, so every field is behind one lock.
/// Everything it keeps is bounded: the rate history (<see cref="RateSamples"/> per drive), the batches
/// (<see cref="MaxBatches"/>, finished ones dropped first), the good-disc times (the last hour) and the subscribers.
/// </summary>
public sealed class TowerTelemetry : ITowerFeed, IDisposable
{
    /// <summary>The meter's name (what a MeterProvider adds).</summary>
    public const string MeterName = "Duplicator";

    /// <summary>Batches whose counts are kept (and exported): the running ones and the newest finished ones.</summary>
    public const int MaxBatches = 32;

    /// <summary>Rate samples kept per drive: 5 minutes at one sample each <see cref="SampleSeconds"/>.</summary>
    public const int RateSamples = 150;

    /// <summary>Seconds between two rate samples.</summary>
    public const double SampleSeconds = 2;

    /// <summary>Live subscribers at most (the console bounds its own clients below this).</summary>
    public const int MaxSubscribers = 64;

    private const int BucketMinutes = 5;
    private const int MaxGoodTimes = 100_000;

    private readonly object _gate = new();
    private readonly Meter _meter = new(MeterName);
    private readonly Counter<long> _written;
    private readonly Counter<long> _underruns;
    private readonly Dictionary<string, Tower.DriveStatus> _drives = new(StringComparer.Ordinal);
    private readonly Dictionary<string, BatchCounts> _batches = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _blockSize = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Drive, string Batch, int Disc), long> _blocks = [];
    private readonly Dictionary<string, string> _lastFailure = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Queue<double>> _rates = new(StringComparer.Ordinal);
    private readonly Queue<DateTimeOffset> _goodTimes = new();
    private readonly List<Action> _subscribers = [];
    private long _order;

    private sealed record BatchCounts(int Good, int Bad, int Remaining, bool Finished, long Order);

    /// <summary>Creates the meter and its instruments.</summary>
    public TowerTelemetry()
    {
        _written = _meter.CreateCounter<long>("duplicator.drive.written", "By", "Bytes a drive wrote to discs (blocks reported written x block size)");
        _underruns = _meter.CreateCounter<long>("duplicator.drive.underruns", null, "Buffer underruns while writing, on drives that count them, added when each disc ends");
        _meter.CreateObservableCounter("duplicator.drive.discs", ObserveDiscs, null, "Discs a drive finished since the host started, by result (good, bad)");
        _meter.CreateObservableGauge("duplicator.drive.state", ObserveStates, null, "1 for the state a drive is in, 0 for the others");
        _meter.CreateObservableGauge("duplicator.drive.rate", ObserveRates, "By/s", "A drive's current write (or verify) rate");
        _meter.CreateObservableGauge("duplicator.drive.progress", ObserveProgress, "%", "Progress of a drive's current disc");
        _meter.CreateObservableGauge("duplicator.batch.discs", ObserveBatches, null, "A batch's discs by kind: good, bad (failed or interrupted), remaining (good still to make)");
    }

    /// <summary>States a drive can be in, as <c>duplicator_drive_state</c> labels them.</summary>
    public static IReadOnlyList<string> States { get; } = [.. Enum.GetValues<DriveState>().Select(s => s.ToString().ToLowerInvariant()), "quarantined"];

    /// <summary>A drive changed (state, progress, counts).</summary>
    public void OnDrive(Tower.DriveStatus d)
    {
        lock (_gate)
        {
            int before = _drives.TryGetValue(d.Id, out var last) ? last.Good : d.Good;
            _drives[d.Id] = d;
            var now = DateTimeOffset.UtcNow;
            for (int i = before; i < d.Good; i++) _goodTimes.Enqueue(now);
            Prune(now);
        }
        Notify();
    }

    /// <summary>A drive left the floor (<see cref="Tower.DriveRemoved"/>): its state, rates and last failure are forgotten, and no longer exported.</summary>
    public void OnDriveRemoved(string drive)
    {
        lock (_gate) Forget(drive);
        Notify();
    }

    /// <summary>The floor's router listed its drives (<see cref="Duplicator.Actors.Floor.Floor.DrivesListed"/>): any other drive is forgotten (one only a router that died knew).</summary>
    public void OnDrivesListed(IReadOnlyCollection<string> drives)
    {
        var listed = drives.ToHashSet(StringComparer.Ordinal);
        int gone = 0;
        lock (_gate)
            foreach (var d in _drives.Keys.Concat(_rates.Keys).Where(k => !listed.Contains(k)).Distinct().ToArray())
            {
                Forget(d);
                gone++;
            }
        if (gone > 0) Notify();
    }

    private void Forget(string drive)
    {
        _drives.Remove(drive);
        _rates.Remove(drive);
        _lastFailure.Remove(drive);
        foreach (var key in _blocks.Keys.Where(k => k.Drive == drive).ToArray()) _blocks.Remove(key);
    }

    /// <summary>A batch changed: its counts, and the failed discs' words for their drives.</summary>
    public void OnBatch(BatchState b)
    {
        if (b.Spec is null) return;
        var id = b.Spec.BatchId;
        lock (_gate)
        {
            _blockSize[id] = b.Spec.Source == SourceKind.Audio ? 2352 : 2048;
            long order = _batches.TryGetValue(id, out var known) ? known.Order : ++_order;
            _batches[id] = new BatchCounts(b.Good.Count, b.Failed + b.Interrupted, b.Remaining, b.IsFinished, order);
            foreach (var disc in b.Discs.Values.Where(x => x.State == DiscState.Failed))
                _lastFailure[disc.Drive] = $"batch {id} disc {disc.Disc}: {(disc.Error is { } e ? e.Describe(disc.Drive) : disc.Reason ?? "failed")}";
            if (b.IsFinished)
                foreach (var key in _blocks.Keys.Where(k => k.Batch == id).ToArray()) _blocks.Remove(key);
            while (_batches.Count > MaxBatches)
            {
                var drop = _batches.OrderBy(kv => kv.Value.Finished ? 0 : 1).ThenBy(kv => kv.Value.Order).First().Key;
                _batches.Remove(drop);
                _blockSize.Remove(drop);
            }
        }
        Notify();
    }

    /// <summary>A drive finished a disc (the drive history's fact): its underruns are counted (0 where the drive counts none, so the series exists).</summary>
    public void OnDiscRecorded(string drive, long? underruns) =>
        _underruns.Add(underruns ?? 0, new KeyValuePair<string, object?>("drive", drive));

    /// <summary>A drive reported blocks written: the bytes since its last report are counted.</summary>
    public void OnBlocks(string drive, string batch, int disc, long completedBlocks)
    {
        long delta;
        lock (_gate)
        {
            var key = (drive, batch, disc);
            long last = _blocks.GetValueOrDefault(key);
            if (completedBlocks <= last) return;
            _blocks[key] = completedBlocks;
            delta = (completedBlocks - last) * _blockSize.GetValueOrDefault(batch, 2048);
            // One disc per drive at a time: older discs of this drive are done.
            foreach (var old in _blocks.Keys.Where(k => k.Drive == drive && k != key).ToArray()) _blocks.Remove(old);
        }
        _written.Add(delta, new KeyValuePair<string, object?>("drive", drive));
    }

    /// <summary>Takes one rate sample of every drive (every <see cref="SampleSeconds"/>).</summary>
    public void Sample()
    {
        lock (_gate)
        {
            foreach (var d in _drives.Values)
            {
                if (!_rates.TryGetValue(d.Id, out var q)) _rates[d.Id] = q = new Queue<double>(RateSamples);
                if (q.Count == RateSamples) q.Dequeue();
                q.Enqueue(d.State is DriveState.Writing or DriveState.Verifying ? Math.Round(d.BytesPerSecond) : 0);
            }
            Prune(DateTimeOffset.UtcNow);
        }
        Notify();
    }

    /// <inheritdoc />
    public IDisposable Subscribe(Action changed)
    {
        lock (_subscribers)
        {
            if (_subscribers.Count >= MaxSubscribers)
                throw new InvalidOperationException($"the tower's feed has {MaxSubscribers} subscribers, the limit");
            _subscribers.Add(changed);
        }
        return new Unsubscriber(this, changed);
    }

    /// <inheritdoc />
    public ConsoleExtras Extras()
    {
        lock (_gate)
        {
            var now = DateTimeOffset.UtcNow;
            Prune(now);
            var buckets = new int[60 / BucketMinutes];
            foreach (var t in _goodTimes)
            {
                int ago = (int)((now - t).TotalMinutes / BucketMinutes);
                if (ago < buckets.Length) buckets[buckets.Length - 1 - ago]++;
            }
            return new ConsoleExtras(new Dictionary<string, string>(_lastFailure), SampleSeconds,
                _rates.ToDictionary(kv => kv.Key, kv => kv.Value.ToArray()), buckets, BucketMinutes, _goodTimes.Count);
        }
    }

    /// <summary>The counts kept for <paramref name="batchId"/> (good, bad, remaining), or null.</summary>
    public (int Good, int Bad, int Remaining)? Batch(string batchId)
    {
        lock (_gate) return _batches.TryGetValue(batchId, out var b) ? (b.Good, b.Bad, b.Remaining) : null;
    }

    private void Prune(DateTimeOffset now)
    {
        while (_goodTimes.Count > 0 && (now - _goodTimes.Peek() > TimeSpan.FromHours(1) || _goodTimes.Count > MaxGoodTimes)) _goodTimes.Dequeue();
    }

    private void Notify()
    {
        Action[] subscribers;
        lock (_subscribers) subscribers = [.. _subscribers];
        foreach (var s in subscribers) s();
    }

    private IEnumerable<Measurement<long>> ObserveDiscs()
    {
        lock (_gate)
            return _drives.Values.SelectMany(d => new[]
            {
                new Measurement<long>(d.Good, new("drive", d.Id), new("result", "good")),
                new Measurement<long>(d.Bad, new("drive", d.Id), new("result", "bad")),
            }).ToArray();
    }

    private IEnumerable<Measurement<int>> ObserveStates()
    {
        lock (_gate)
            return _drives.Values.SelectMany(d =>
            {
                var state = d.Quarantined ? "quarantined" : d.State.ToString().ToLowerInvariant();
                return States.Select(s => new Measurement<int>(s == state ? 1 : 0, new("drive", d.Id), new("state", s)));
            }).ToArray();
    }

    private IEnumerable<Measurement<double>> ObserveRates()
    {
        lock (_gate) return _drives.Values.Select(d => new Measurement<double>(d.BytesPerSecond, new KeyValuePair<string, object?>("drive", d.Id))).ToArray();
    }

    private IEnumerable<Measurement<double>> ObserveProgress()
    {
        lock (_gate) return _drives.Values.Select(d => new Measurement<double>(d.Percent, new KeyValuePair<string, object?>("drive", d.Id))).ToArray();
    }

    private IEnumerable<Measurement<int>> ObserveBatches()
    {
        lock (_gate)
            return _batches.SelectMany(kv => new[]
            {
                new Measurement<int>(kv.Value.Good, new("batch", kv.Key), new("kind", "good")),
                new Measurement<int>(kv.Value.Bad, new("batch", kv.Key), new("kind", "bad")),
                new Measurement<int>(kv.Value.Remaining, new("batch", kv.Key), new("kind", "remaining")),
            }).ToArray();
    }

    /// <summary>Ends the meter (its instruments stop being exported).</summary>
    public void Dispose() => _meter.Dispose();

    private sealed class Unsubscriber(TowerTelemetry owner, Action changed) : IDisposable
    {
        public void Dispose()
        {
            lock (owner._subscribers) owner._subscribers.Remove(changed);
        }
    }
}
