using System.Collections.Immutable;
using Akka.Actor;
using Akka.Event;
using Duplicator.Mastering.Images;

namespace Duplicator.Actors.Images;

/// <summary>
/// One wave: streams the staged image to its recorders through a shared <see cref="ChunkWindow{TReader}"/>. Each
/// chunk enters the window once (one stash read) and goes to every attached member as the same read-only memory;
/// nothing is sent before the window's first chunks are read, so every drive starts with a full window in hand.
/// The window moves at the pace of the members in step: one that falls half a window behind the fastest is sent
/// <see cref="Staging.ReadOn"/> and reads on from the stash by itself (and is attached again if it catches up);
/// one that takes no data for the stall deadline is <see cref="Staging.Detached"/>. A recorder may join while
/// chunk 0 is still in the window. When the wave has no members it tells its parent <see cref="Emptied"/> and ends
/// when the parent answers <see cref="Close"/> (so a join already on its way is never lost).
/// </summary>
internal sealed class WaveActor : ReceiveActor, IWithTimers
{
    /// <summary>From the staging actor: a recorder asks to join this running wave.</summary>
    public sealed record Admit(IActorRef Recorder, Staging.Join Join);

    /// <summary>To the staging actor: the wave has passed chunk 0; the recorder needs another wave.</summary>
    public sealed record NotAdmitted(IActorRef Recorder, Staging.Join Join);

    /// <summary>To the staging actor: the wave has no members left.</summary>
    public sealed record Emptied;

    /// <summary>From the staging actor: end the wave if it still has no members.</summary>
    public sealed record Close;

    private sealed record ChunkRead(long Index, byte[] Array, int Bytes);
    private sealed record ReadFailed(long Index, byte[] Array, string Reason);
    private sealed record CheckStalls;
    private sealed record CheckLag;

    /// <summary>The stash as members that fell behind read it: thread-safe (every read opens its own handle), counted.</summary>
    private sealed class CountingStash(ISectorSource inner) : ISectorSource
    {
        private long _bytes;
        public long Bytes => Interlocked.Read(ref _bytes);
        public int SectorSize => inner.SectorSize;
        public long SectorCount => inner.SectorCount;

        public void Read(long firstSector, Span<byte> destination)
        {
            inner.Read(firstSector, destination);
            Interlocked.Add(ref _bytes, destination.Length);
        }
    }

    private readonly ISectorSource _source;
    private readonly CountingStash _stash;
    private readonly StagedImage _image;
    private readonly Staging.Settings _settings;
    private readonly ChunkWindow<IActorRef> _window;
    private readonly Dictionary<IActorRef, DateTime> _lastTook = []; // when each member last took data
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
    private readonly int _chunkSectors;
    private readonly int _number;
    private long _windowBytes;
    private readonly HashSet<IActorRef> _fellBehind = []; // every member that read on alone at least once
    private int _recorders, _detached;
    private bool _emptied, _finished, _published;

    public static Props Props(ISectorSource source, StagedImage image, ImmutableArray<IActorRef> members, Staging.Settings settings, int number) =>
        Akka.Actor.Props.Create(() => new WaveActor(source, image, members, settings, number));

    public WaveActor(ISectorSource source, StagedImage image, ImmutableArray<IActorRef> members, Staging.Settings settings, int number)
    {
        _number = number;
        _source = source;
        _stash = new CountingStash(source);
        _image = image;
        _settings = settings;
        _chunkSectors = Math.Max(1, settings.ChunkBytes / image.SectorSize);
        long totalChunks = (image.SectorCount + _chunkSectors - 1) / _chunkSectors;
        _window = new ChunkWindow<IActorRef>(totalChunks, settings.Window, _chunkSectors * image.SectorSize, settings.LagGrace, settings.StartGrace);
        foreach (var m in members) AddMember(m);

        Receive<ChunkRead>(OnChunk);
        Receive<ReadFailed>(f =>
        {
            _window.AbortRead(f.Array);
            _log.Error("batch {0}: reading chunk {1} of the stash failed: {2}", _image.BatchId, f.Index, f.Reason);
            foreach (var m in _lastTook.Keys.ToArray())
            {
                m.Tell(new Staging.Detached($"the stash could not be read: {f.Reason}"));
                Remove(m);
            }
            Advance();
        });
        Receive<Admit>(a =>
        {
            if (_lastTook.ContainsKey(a.Recorder)) return;
            if (!AddMember(a.Recorder))
            {
                Context.Parent.Tell(new NotAdmitted(a.Recorder, a.Join));
                return;
            }
            _log.Info("batch {0}: {1} (disc {2}) joins running wave {3}", _image.BatchId, a.Join.DriveId, a.Join.Disc, _number);
            Advance();
        });
        Receive<Staging.Consumed>(c =>
        {
            if (!_lastTook.ContainsKey(Sender)) return;
            _lastTook[Sender] = DateTime.UtcNow;
            _window.Consumed(Sender, c.Index);
            if (c.Index >= _window.Total - 1) Remove(Sender); // it has the whole image
            Advance();
        });
        Receive<Staging.Leave>(_ => { Remove(Sender); Advance(); });
        Receive<Terminated>(t => { Remove(t.ActorRef); Advance(); });
        Receive<CheckStalls>(_ =>
        {
            var now = DateTime.UtcNow;
            foreach (var (recorder, took) in _lastTook.ToArray())
            {
                // Waiting for the window to read its next chunk is not a stall; holding chunks or reading alone is.
                bool owesProgress = _window.Holds(recorder) || !_window.IsAttached(recorder);
                if (!owesProgress || now - took <= _settings.StallTimeout) continue;
                _detached++;
                _log.Warning("batch {0}: {1} took no data for {2:0.#} s; detached from the wave", _image.BatchId, recorder.Path.Name, (now - took).TotalSeconds);
                recorder.Tell(new Staging.Detached($"the drive took no data for {_settings.StallTimeout.TotalSeconds:0.#} s"));
                Remove(recorder);
            }
            Advance();
        });
        Receive<CheckLag>(_ => Advance());
        Receive<Close>(_ =>
        {
            if (_lastTook.Count > 0) return; // a recorder joined meanwhile: it is served, the next Emptied asks again
            Finish();
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    protected override void PreStart()
    {
        var tick = TimeSpan.FromTicks(Math.Max(TimeSpan.FromMilliseconds(20).Ticks, _settings.StallTimeout.Ticks / 4));
        Timers.StartPeriodicTimer("stalls", new CheckStalls(), tick);
        Advance();
    }

    private bool AddMember(IActorRef recorder)
    {
        if (!_window.Join(recorder)) return false;
        _lastTook[recorder] = DateTime.UtcNow;
        _recorders++;
        Context.Watch(recorder);
        return true;
    }

    private void Remove(IActorRef recorder)
    {
        if (!_lastTook.Remove(recorder)) return;
        _window.Leave(recorder);
        Context.Unwatch(recorder);
    }

    private void OnChunk(ChunkRead read)
    {
        _windowBytes += read.Bytes;
        _window.EndRead(read.Array, read.Bytes);
        Advance();
    }

    /// <summary>Lets laggards go on alone, takes back those that caught up, sends what the window holds, reads the next chunk, or reports the wave empty.</summary>
    private void Advance()
    {
        if (_finished) return;
        if (_lastTook.Count == 0)
        {
            if (_emptied) return;
            _emptied = true;
            // Nobody can join any more once chunk 0 has left the window: report now, before the batch that just got
            // its last disc stops the staging actor (and this wave with it) ahead of the Close.
            if (_window.Low > 0) Publish();
            Context.Parent.Tell(new Emptied());
            return;
        }
        _emptied = false;
        var now = DateTime.UtcNow;
        var detached = _window.DetachLaggards(_clock.Elapsed);
        if (_window.HeldBackSince is { } since && !Timers.IsTimerActive("lag"))
        {
            // Overdue when the hold paused for a moment (the fastest had enough in hand): look again soon.
            var due = since + _settings.LagGrace - _clock.Elapsed;
            Timers.StartSingleTimer("lag", new CheckLag(), due > TimeSpan.FromMilliseconds(1) ? due : TimeSpan.FromMilliseconds(10));
        }
        foreach (var laggard in detached)
        {
            _fellBehind.Add(laggard);
            _log.Info("batch {0}: {1} at chunk {2} is out of step with wave {3} (head {4}); it reads on from the stash at its own pace",
                _image.BatchId, laggard.Path.Name, _window.Need(laggard), _number, _window.Head);
            laggard.Tell(new Staging.ReadOn(Self, _stash, _chunkSectors, $"out of step with the wave at chunk {_window.Need(laggard)} (head {_window.Head})"));
        }
        foreach (var back in _window.Reattach())
            _log.Info("batch {0}: {1} caught up with wave {2} at chunk {3}", _image.BatchId, back.Path.Name, _number, _window.Need(back));
        var emptyHanded = _lastTook.Keys.Where(r => !_window.Holds(r)).ToHashSet();
        foreach (var (recorder, index) in _window.TakeSends(_clock.Elapsed))
        {
            // A drive handed its first chunks is waited for StartGrace before it can count as fallen behind: look again then.
            if (index == 0) Timers.StartSingleTimer("start", new CheckLag(), _settings.StartGrace + TimeSpan.FromMilliseconds(1));
            if (emptyHanded.Remove(recorder)) _lastTook[recorder] = now; // it had nothing in hand: the stall clock starts now
            long first = index * _chunkSectors;
            int sectors = (int)Math.Min(_chunkSectors, _image.SectorCount - first);
            recorder.Tell(new Staging.Chunk(Self, index, first, sectors, _window.Data(index)));
        }
        if (!_window.CanRead) return;
        long next = _window.Head;
        var array = _window.BeginRead();
        long firstSector = next * _chunkSectors;
        int readSectors = (int)Math.Min(_chunkSectors, _image.SectorCount - firstSector);
        int bytes = readSectors * _image.SectorSize;
        var source = _source;
        Task.Run(async () =>
        {
            // An image still arriving: wait for the chunk's sectors without holding a thread.
            if (source is ArrivingImage arriving) await arriving.WhenReadableAsync(firstSector, readSectors, CancellationToken.None);
            source.Read(firstSector, array.AsSpan(0, bytes));
            return new ChunkRead(next, array, bytes);
        }).PipeTo(Self, failure: e => new ReadFailed(next, array, e.GetBaseException().Message));
    }

    private void Finish()
    {
        if (_finished) return;
        _finished = true;
        Publish();
        Context.Stop(Self);
    }

    private void Publish()
    {
        if (_published) return;
        _published = true;
        var finished = new Staging.WaveFinished(_image.BatchId, _number, _windowBytes + _stash.Bytes, _recorders, _detached, _fellBehind.Count);
        Context.Parent.Tell(finished);
        // Published here, not by the parent: a batch that completes stops its staging actor, which could drop
        // the report still in its mailbox.
        Context.System.EventStream.Publish(finished);
    }
}
