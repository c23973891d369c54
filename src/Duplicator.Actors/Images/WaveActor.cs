using System.Collections.Immutable;
using Akka.Actor;
using Akka.Event;
using Duplicator.Mastering.Images;

namespace Duplicator.Actors.Images;

/// <summary>
/// One wave: streams the staged image to a fixed set of recorders. Chunk k is read from the stash once, when
/// every member has consumed chunk k - Window or more (pull with credits), sent to all members as the same
/// read-only memory (nothing is sent before the first Window chunks are read, so every drive starts with a full
/// window in hand), and dropped once every member has consumed it, so memory stays at about Window chunks
/// whatever the image size. A member that stalls with chunks in hand past the deadline is detached; a member
/// that fails leaves; either way the rest continue at their own pace.
/// </summary>
internal sealed class WaveActor : ReceiveActor, IWithTimers
{
    private sealed record ChunkRead(long Index, byte[] Array, int Bytes, int Sectors);
    private sealed record ReadFailed(long Index, string Reason);
    private sealed record CheckStalls;

    private sealed class Member
    {
        public long Consumed = -1;
        public long Sent = -1;
        public DateTime LastActivity = DateTime.UtcNow;
    }

    private readonly ISectorSource _source;
    private readonly StagedImage _image;
    private readonly Staging.Settings _settings;
    private readonly Dictionary<IActorRef, Member> _members = [];
    private readonly SortedDictionary<long, Staging.Chunk> _buffer = [];
    // Chunk arrays come back here once every member has consumed them: at most about Window + 2 are ever
    // allocated, instead of one new large-object array per chunk (1,024 per GiB, each freed only by a gen-2 GC).
    private readonly Stack<byte[]> _free = new();
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly int _chunkSectors;
    private readonly int _chunkBytes;
    private readonly long _totalChunks;
    private long _nextRead;
    private bool _reading, _finished, _primed;
    private long _bytesRead;
    private int _detached;
    private readonly int _recorders;
    private readonly int _number;

    public static Props Props(ISectorSource source, StagedImage image, ImmutableArray<IActorRef> members, Staging.Settings settings, int number) =>
        Akka.Actor.Props.Create(() => new WaveActor(source, image, members, settings, number));

    public WaveActor(ISectorSource source, StagedImage image, ImmutableArray<IActorRef> members, Staging.Settings settings, int number)
    {
        _number = number;
        _source = source;
        _image = image;
        _settings = settings;
        _chunkSectors = Math.Max(1, settings.ChunkBytes / image.SectorSize);
        _chunkBytes = _chunkSectors * image.SectorSize;
        _totalChunks = (image.SectorCount + _chunkSectors - 1) / _chunkSectors;
        _recorders = members.Length;
        foreach (var m in members)
        {
            _members[m] = new Member();
            Context.Watch(m);
        }

        Receive<ChunkRead>(OnChunk);
        Receive<ReadFailed>(f =>
        {
            _log.Error("batch {0}: reading chunk {1} of the stash failed: {2}", _image.BatchId, f.Index, f.Reason);
            foreach (var m in _members.Keys) m.Tell(new Staging.Detached($"the stash could not be read: {f.Reason}"));
            _members.Clear();
            FinishIfEmpty();
        });
        Receive<Staging.Consumed>(c =>
        {
            if (!_members.TryGetValue(Sender, out var m)) return;
            m.Consumed = Math.Max(m.Consumed, c.Index);
            m.LastActivity = DateTime.UtcNow;
            if (m.Consumed >= _totalChunks - 1) Remove(Sender);
            Advance();
        });
        Receive<Staging.Leave>(_ => { Remove(Sender); Advance(); });
        Receive<Terminated>(t => { Remove(t.ActorRef); Advance(); });
        Receive<CheckStalls>(_ =>
        {
            var now = DateTime.UtcNow;
            foreach (var (recorder, m) in _members.ToArray())
            {
                if (m.Sent > m.Consumed && now - m.LastActivity > _settings.StallTimeout)
                {
                    _detached++;
                    _log.Warning("batch {0}: {1} took no data for {2:0.#} s; detached from the wave", _image.BatchId, recorder.Path.Name, (now - m.LastActivity).TotalSeconds);
                    recorder.Tell(new Staging.Detached($"the drive took no data for {_settings.StallTimeout.TotalSeconds:0.#} s"));
                    Remove(recorder);
                }
            }
            Advance();
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    protected override void PreStart()
    {
        var tick = TimeSpan.FromTicks(Math.Max(TimeSpan.FromMilliseconds(20).Ticks, _settings.StallTimeout.Ticks / 4));
        Timers.StartPeriodicTimer("stalls", new CheckStalls(), tick);
        Advance();
    }

    private void OnChunk(ChunkRead read)
    {
        _reading = false;
        _nextRead = read.Index + 1;
        _bytesRead += read.Bytes;
        var chunk = new Staging.Chunk(Self, read.Index, read.Index * _chunkSectors, read.Sectors, read.Array.AsMemory(0, read.Bytes));
        _buffer[read.Index] = chunk;
        if (!_primed)
        {
            // A drive takes its first chunks as fast as its buffer fills (2 MiB at once), then needs the next at
            // once: sent one by one as read, chunk 1 came ~47 ms after chunk 0 on a busy host and every drive of the
            // wave underran at 1 MiB. The wave starts with its whole window in hand instead.
            if (read.Index + 1 < Math.Min(_settings.Window, _totalChunks))
            {
                Advance();
                return;
            }
            _primed = true;
            foreach (var held in _buffer.Values) Send(held);
        }
        else
        {
            Send(chunk);
        }
        Advance();
    }

    private void Send(Staging.Chunk chunk)
    {
        var now = DateTime.UtcNow;
        foreach (var (recorder, m) in _members)
        {
            if (m.Sent <= m.Consumed) m.LastActivity = now; // it had nothing in hand: the stall clock starts now
            m.Sent = chunk.Index;
            recorder.Tell(chunk);
        }
    }

    private void Remove(IActorRef recorder)
    {
        if (_members.Remove(recorder)) Context.Unwatch(recorder);
    }

    /// <summary>Releases chunks every member has consumed, reads the next one when credits allow, or ends the wave.</summary>
    private void Advance()
    {
        if (FinishIfEmpty()) return;
        long slowest = _members.Values.Min(m => m.Consumed);
        while (_buffer.Count > 0 && _buffer.Keys.First() <= slowest)
        {
            // Every member has copied this chunk out (a drive reports a chunk consumed after its last read of it).
            // A member that left or was detached mid-read only fails its own disc.
            var done = _buffer.Keys.First();
            if (System.Runtime.InteropServices.MemoryMarshal.TryGetArray(_buffer[done].Data, out var segment) && segment.Array!.Length == _chunkBytes)
                _free.Push(segment.Array);
            _buffer.Remove(done);
        }
        if (_reading || _nextRead >= _totalChunks || _nextRead > slowest + _settings.Window) return;
        _reading = true;
        long index = _nextRead;
        int sectors = (int)Math.Min(_chunkSectors, _image.SectorCount - index * _chunkSectors);
        var source = _source;
        int bytes = sectors * _image.SectorSize;
        long first = index * _chunkSectors;
        var array = _free.Count > 0 ? _free.Pop() : GC.AllocateUninitializedArray<byte>(_chunkBytes);
        Task.Run(() =>
        {
            source.Read(first, array.AsSpan(0, bytes));
            return new ChunkRead(index, array, bytes, sectors);
        }).PipeTo(Self, failure: e => new ReadFailed(index, e.GetBaseException().Message));
    }

    private bool FinishIfEmpty()
    {
        if (_finished) return true;
        if (_members.Count > 0) return false;
        _finished = true;
        _buffer.Clear();
        _free.Clear();
        var finished = new Staging.WaveFinished(_image.BatchId, _number, _bytesRead, _recorders, _detached);
        Context.Parent.Tell(finished);
        // Published here, not by the parent: a batch that completes stops its staging actor, which could drop
        // the report still in its mailbox.
        Context.System.EventStream.Publish(finished);
        Context.Stop(Self);
        return true;
    }
}
