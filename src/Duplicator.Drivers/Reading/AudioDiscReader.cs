using System.Buffers;
using System.Security.Cryptography;
using Duplicator.Drivers.Mmc;
using Duplicator.Drivers.Scsi;
using Duplicator.Mastering.Audio;
using Duplicator.Mastering.Imapi;

namespace Duplicator.Drivers.Reading;

/// <summary>One audio track of a master CD, in disc LBAs (LBA 0 is 00:02:00).</summary>
/// <param name="Track">Track number.</param>
/// <param name="Start">INDEX 01: the TOC's start address.</param>
/// <param name="Blocks">The track's own 2352-byte blocks: INDEX 01 to the next track's INDEX 00 (or the end of what is recorded).</param>
/// <param name="PregapStart">INDEX 00: where the track's pregap starts (track 1: -150 or earlier ... -150 is the least); equal to <paramref name="Start"/> when it has none.</param>
/// <param name="ReadablePregap">Blocks of the pregap just before <paramref name="Start"/> that are recorded and read (the rest is silence: before LBA 0, or a TAO gap).</param>
/// <param name="Indexes">INDEX 02, 03, ... as LBAs.</param>
/// <param name="Isrc">ISRC from the Q sub-channel (READ SUB-CHANNEL 03h), or null.</param>
/// <param name="Title">CD-TEXT title, or null.</param>
/// <param name="Performer">CD-TEXT performer, or null.</param>
public sealed record AudioMasterTrack(int Track, long Start, long Blocks, long PregapStart = 0, long ReadablePregap = 0, IReadOnlyList<long>? Indexes = null,
    string? Isrc = null, string? Title = null, string? Performer = null)
{
    /// <summary>Blocks from INDEX 00 to INDEX 01.</summary>
    public int Pregap => (int)(Start - PregapStart);
}

/// <summary>What an audio master holds, read before any audio.</summary>
/// <param name="Tracks">The tracks, in order.</param>
/// <param name="LeadOut">LBA of the lead-out (the TOC's AAh entry).</param>
/// <param name="Catalog">Media catalog number from the Q sub-channel (READ SUB-CHANNEL 02h), or null.</param>
/// <param name="CdText">The lead-in's CD-TEXT (READ TOC format 0101b), decoded, or null.</param>
/// <param name="PositionsFromQ">True when pregaps and index points came from the Q sub-channel; false when the drive returns no formatted Q (every later pregap is then the unrecorded gap between tracks, and index points are not known).</param>
public sealed record AudioDiscLayout(IReadOnlyList<AudioMasterTrack> Tracks, long LeadOut, string? Catalog, CdText? CdText, bool PositionsFromQ);

/// <summary>An audio master read into a <see cref="RedbookStaging"/>.</summary>
/// <param name="Layout">What was read.</param>
/// <param name="Sha256">SHA-256 of the tracks' own audio in order (pregaps excluded), computed from the bytes as read: what a verifying recorder reads back from a copy (<see cref="Duplicator.Mastering.Images.IContentHashed"/>).</param>
/// <param name="RetriedReads">Blocks that failed with a medium error and read on a later attempt.</param>
public sealed record AudioDiscReadResult(AudioDiscLayout Layout, byte[] Sha256, int RetriedReads);

/// <summary>
/// Reads an audio CD master into a <see cref="RedbookStaging"/>, as staging WAVs would, with what the disc carries
/// beyond its PCM, in the order cdrdao's read-toc goes about it: READ TOC (format 0000b) for the tracks and the
/// lead-out, READ TRACK INFORMATION for what each track has recorded; then the Q sub-channel (READ CD with
/// sub-channel selection 010b, formatted Q, no user data) searched block by block (binary search over the
/// monotonic track and index numbers) for where each track's successor's pregap (INDEX 00) starts and for its
/// INDEX 02+ points; READ SUB-CHANNEL 02h/03h for the catalog number and each ISRC (MMC-6 6.25); READ TOC format
/// 0101b for CD-TEXT, every pack's CRC checked. Audio is read with READ CD of 2352-byte CD-DA blocks in chunks of
/// <see cref="ChunkBlocks"/>, a track's recorded pregap audio staged as pregap. Medium errors are retried block
/// by block as <see cref="DataDiscReader"/> does, and blocks still unreadable fail the read with
/// <see cref="ImapiError.SourceUnreadable"/> naming them; the staging is then cleared (never part-filled, never
/// zero-filled). CD-TEXT that does not decode fails the read too: a copy never silently drops its master's text.
/// </summary>
public static class AudioDiscReader
{
    /// <summary>CD-DA blocks per READ CD (about 55 KiB).</summary>
    public const int ChunkBlocks = 24;

    /// <summary>Blocks tried on from one whose Q is missing or unreadable before the search gives up.</summary>
    public const int QProbeBlocks = 8;

    private const int BlockSize = RedbookStaging.BlockSize;

    /// <summary>The layout of the CD in <paramref name="drive"/> (waits until ready): tracks, pregaps, index points, ISRCs, catalog number, CD-TEXT.</summary>
    public static AudioDiscLayout ReadLayout(MmcDevice drive, CancellationToken cancellationToken = default)
    {
        drive.WaitUntilReady(TimeSpan.FromSeconds(30), cancellationToken);
        var profile = drive.CurrentProfile();
        if (profile == MmcProfile.None)
            throw new ImapiException(ImapiError.MediumNotPresent, $"{drive.Location}: no medium to read");
        if (!MmcProfiles.IsCd(profile))
            throw new ImapiException(ImapiError.MediumInvalidType, $"{drive.Location}: an audio master is a CD, the drive holds a {MmcProfiles.Name(profile)}");
        var toc = drive.ReadToc();
        var recorded = new List<(int Track, long Start, long Size)>();
        foreach (var t in toc.Tracks)
        {
            if (t.IsData)
                throw new ImapiException(ImapiError.MediumInvalidType, $"{drive.Location}: track {t.Track} is a data track; an audio master holds CD-DA only");
            var info = drive.ReadRecordedTrack(t.Track);
            if (info.Start != t.Start || info.Size is <= 0 or > 450_000)
                throw new ImapiException(ImapiError.WrongDisc, $"{drive.Location}: track {t.Track}: the TOC says start {t.Start}, READ TRACK INFORMATION start {info.Start} size {info.Size}");
            recorded.Add((t.Track, t.Start, info.Size));
        }
        if (recorded.Count is 0 or > RedbookStaging.MaxTracks)
            throw new ImapiException(ImapiError.WrongDisc, $"{drive.Location}: the TOC lists {recorded.Count} tracks, not 1..{RedbookStaging.MaxTracks}");
        long leadOut = toc.LeadOut?.Start ?? recorded[^1].Start + recorded[^1].Size;
        for (int i = 0; i < recorded.Count; i++)
        {
            long next = i + 1 < recorded.Count ? recorded[i + 1].Start : leadOut;
            if (recorded[i].Start + recorded[i].Size > next || (i == 0 && recorded[i].Start < 0))
                throw new ImapiException(ImapiError.WrongDisc, $"{drive.Location}: track {recorded[i].Track} runs from {recorded[i].Start} for {recorded[i].Size} blocks, past {(i + 1 < recorded.Count ? $"track {recorded[i + 1].Track}'s start" : "the lead-out")} at {next}");
        }

        var q = new QReader(drive, cancellationToken);
        var tracks = new List<AudioMasterTrack>();
        long pregapStart = -150, readablePregap = 0;
        if (recorded[0].Start > 0)
        {
            // Audio before track 1's INDEX 01 (a hidden track) is track 1's pregap, recorded from LBA 0.
            pregapStart = -150;
            readablePregap = recorded[0].Start;
        }
        for (int i = 0; i < recorded.Count; i++)
        {
            var (number, start, size) = recorded[i];
            long end = start + size;
            long own = end;
            var indexes = new List<long>();
            if (q.Works)
            {
                if (i + 1 < recorded.Count)
                    own = q.FirstWhere(start, end, p => p.Track > number) ?? end;
                for (int k = 2; k <= 99 && q.Works; k++)
                {
                    long from = indexes.Count > 0 ? indexes[^1] + 1 : start + 1;
                    if (from >= own || q.FirstWhere(from, own, p => p.Track > number || p.Index >= k) is not { } at || q.At(at) is not { } p || p.Track != number) break;
                    indexes.Add(at);
                }
            }
            if (own - start < 1)
                throw new ImapiException(ImapiError.WrongDisc, $"{drive.Location}: track {number} has no audio of its own before track {number + 1}'s pregap");
            tracks.Add(new AudioMasterTrack(number, start, own - start, pregapStart, readablePregap, indexes.Count > 0 ? indexes : null, Optional(() => drive.ReadIsrc(number))));
            if (i + 1 < recorded.Count)
            {
                pregapStart = q.Works ? own : end;
                readablePregap = end - pregapStart;
                if (recorded[i + 1].Start - pregapStart > RedbookStaging.MaxPregapBlocks)
                    throw new ImapiException(ImapiError.WrongDisc, $"{drive.Location}: track {recorded[i + 1].Track}'s pregap of {recorded[i + 1].Start - pregapStart} blocks is over the {RedbookStaging.MaxPregapBlocks} a copy stages");
            }
        }
        if (tracks[0].Pregap > RedbookStaging.MaxPregapBlocks)
            throw new ImapiException(ImapiError.WrongDisc, $"{drive.Location}: track 1's pregap of {tracks[0].Pregap} blocks is over the {RedbookStaging.MaxPregapBlocks} a copy stages");

        var text = ReadCdText(drive);
        if (text is not null)
        {
            if (text.FirstTrack != tracks[0].Track || text.Tracks.Count != tracks.Count)
                throw new ImapiException(ImapiError.SourceUnreadable, $"{drive.Location}: the CD-TEXT describes tracks {text.FirstTrack}..{text.FirstTrack + text.Tracks.Count - 1}, the TOC {tracks[0].Track}..{tracks[^1].Track}");
            tracks = [.. tracks.Select((t, i) => t with { Title = text.Tracks[i].Title, Performer = text.Tracks[i].Performer })];
        }
        return new AudioDiscLayout(tracks, leadOut, Optional(drive.ReadCatalogNumber), text, q.Works);
    }

    // A drive without READ SUB-CHANNEL answers ILLEGAL REQUEST: the disc then has no code we can read, which is not an error.
    private static string? Optional(Func<string?> read)
    {
        try
        {
            return read();
        }
        catch (ScsiCommandException e) when (e.Sense is { Key: SenseKey.IllegalRequest, Asc: 0x20 or 0x24 })
        {
            return null;
        }
    }

    /// <summary>Reads every track into <paramref name="staging"/> (which must hold no tracks); returns the tracks read.</summary>
    public static IReadOnlyList<AudioMasterTrack> ReadInto(MmcDevice drive, RedbookStaging staging, DataDiscReadOptions? options = null,
        CancellationToken cancellationToken = default) => ReadMaster(drive, staging, options, null, cancellationToken).Layout.Tracks;

    /// <summary>
    /// Reads the master in <paramref name="drive"/> into <paramref name="staging"/> (which must hold no tracks): the
    /// layout first (<see cref="ReadLayout"/>), then every track's recorded pregap and audio, staged with its pregap,
    /// index points, ISRC and CD-TEXT, and the disc's catalog number and CD-TEXT title/performer.
    /// <paramref name="progress"/> gets (blocks done, blocks in all). On any failure the staging is cleared.
    /// </summary>
    public static AudioDiscReadResult ReadMaster(MmcDevice drive, RedbookStaging staging, DataDiscReadOptions? options = null,
        Action<long, long>? progress = null, CancellationToken cancellationToken = default)
    {
        options ??= new DataDiscReadOptions();
        if (options.Attempts is < 1 or > 100)
            throw new ImapiException(ImapiError.InvalidInput, $"read attempts {options.Attempts} is not 1..100");
        if (staging.TotalAudioTracks != 0 || staging.IsTrackOpen)
            throw new ImapiException(ImapiError.InvalidInput, $"the audio staging already holds {staging.TotalAudioTracks} track(s); a master is read into an empty one");
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkBlocks * BlockSize);
        var bad = new List<(long First, long Last)>();
        int retried = 0;
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        try
        {
            var layout = ReadLayout(drive, cancellationToken);
            long total = layout.Tracks.Sum(t => t.ReadablePregap + t.Blocks), done = 0;
            foreach (var t in layout.Tracks)
            {
                staging.CreateAudioTrack(t.Blocks, new AudioTrackInfo(t.Title, t.Performer, t.Isrc, t.Pregap,
                    t.Indexes is { } x ? [.. x.Select(v => v - t.Start)] : null));
                ReadRange(t.Start - t.ReadablePregap, t.Start, staging.AddPregapBlocks, null);
                ReadRange(t.Start, t.Start + t.Blocks, span => staging.AddAudioTrackBlocks(span), hash);
                if (bad.Count > 0) break; // the track holding the first bad block is where the copy ends
                staging.CloseAudioTrack();
            }
            if (bad.Count > 0)
            {
                var ranges = string.Join(", ", bad.Select(r => r.First == r.Last ? $"{r.First}" : $"{r.First}-{r.Last}"));
                throw new ImapiException(ImapiError.SourceUnreadable,
                    $"{drive.Location}: {bad.Sum(r => r.Last - r.First + 1)} unreadable CD-DA block(s) after {options.Attempts} attempt(s) each: LBA {ranges}; the master is not copied");
            }
            staging.Title = layout.CdText?.Title;
            staging.Performer = layout.CdText?.Performer;
            staging.Catalog = layout.Catalog;
            return new AudioDiscReadResult(layout, hash.GetHashAndReset(), retried);

            void ReadRange(long from, long to, SpanAction sink, IncrementalHash? h)
            {
                for (long lba = from; lba < to;)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    int n = (int)Math.Min(ChunkBlocks, to - lba);
                    var span = buffer.AsSpan(0, n * BlockSize);
                    if (!TryRead(drive, lba, span))
                    {
                        for (int i = 0; i < n; i++)
                        {
                            int attempt = 1;
                            bool ok;
                            while (!(ok = TryRead(drive, lba + i, span.Slice(i * BlockSize, BlockSize))) && attempt < options.Attempts) attempt++;
                            if (ok)
                            {
                                if (attempt > 1) retried++;
                                continue;
                            }
                            if (bad.Count > 0 && bad[^1].Last == lba + i - 1) bad[^1] = (bad[^1].First, lba + i);
                            else bad.Add((lba + i, lba + i));
                        }
                    }
                    if (bad.Count == 0)
                    {
                        sink(span);
                        h?.AppendData(span);
                    }
                    lba += n;
                    done += n;
                    progress?.Invoke(done, total);
                }
            }
        }
        catch (Exception e)
        {
            staging.Clear();
            if (e is OperationCanceledException)
                throw new ImapiException(ImapiError.UserAbort, $"{drive.Location}: reading the audio master was cancelled; nothing was kept");
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private delegate void SpanAction(ReadOnlySpan<byte> span);

    private static CdText? ReadCdText(MmcDevice drive)
    {
        byte[] packs;
        try
        {
            packs = drive.ReadCdTextPacks();
        }
        catch (ScsiCommandException e) when (e.Sense is { Key: SenseKey.IllegalRequest })
        {
            return null; // a drive (or disc) without CD-TEXT support answers READ TOC format 0101b with ILLEGAL REQUEST
        }
        try
        {
            return CdTextPacks.Decode(packs);
        }
        catch (InvalidDataException e)
        {
            throw new ImapiException(ImapiError.SourceUnreadable, $"{drive.Location}: the CD-TEXT of the lead-in does not decode ({e.Message}); the master is not copied without it");
        }
    }

    private static bool TryRead(MmcDevice drive, long lba, Span<byte> destination)
    {
        try
        {
            drive.ReadCdAudio(lba, destination);
            return true;
        }
        catch (ScsiCommandException e) when (e.Sense is { Key: SenseKey.MediumError } or { Asc: 0x11 })
        {
            return false;
        }
    }

    /// <summary>Q positions of single blocks, with the search the layout needs; <see cref="Works"/> turns false when the drive refuses formatted Q.</summary>
    private sealed class QReader(MmcDevice drive, CancellationToken cancellationToken)
    {
        private readonly Dictionary<long, QPosition?> _seen = [];

        public bool Works { get; private set; } = true;

        /// <summary>The Q of <paramref name="lba"/>: null when it carries no position (an ADR 2/3 frame) or cannot be read.</summary>
        public QPosition? At(long lba)
        {
            if (_seen.TryGetValue(lba, out var known)) return known;
            cancellationToken.ThrowIfCancellationRequested();
            QPosition? p = null;
            try
            {
                p = drive.ReadQ(lba);
                if (p is not null && p.AbsoluteLba != lba) p = null; // a drive that returned another block's Q
            }
            catch (ScsiCommandException e) when (e.Sense is { Key: SenseKey.IllegalRequest, Asc: 0x24 })
            {
                Works = false;
            }
            catch (ScsiCommandException e) when (e.Sense is { Key: SenseKey.MediumError } or { Asc: 0x11 })
            {
            }
            _seen[lba] = p;
            return p;
        }

        /// <summary>
        /// The first block in [<paramref name="from"/>, <paramref name="to"/>) whose Q satisfies <paramref name="when"/>
        /// (which holds for every block after it: track and index numbers only grow), or null. A block without a position
        /// is judged by the next one that has it, at most <see cref="QProbeBlocks"/> on (so a boundary hidden behind such
        /// blocks is placed at the first block after them that has a position).
        /// </summary>
        public long? FirstWhere(long from, long to, Func<QPosition, bool> when)
        {
            bool? Test(long lba, out long judged)
            {
                for (judged = lba; judged < Math.Min(to, lba + QProbeBlocks); judged++)
                {
                    if (At(judged) is { } p) return when(p);
                    if (!Works) return null;
                }
                return null;
            }
            if (from >= to) return null;
            if (Test(to - 1, out _) is not true) return null;
            long lo = from, hi = to - 1; // invariant: hi satisfies
            while (lo < hi)
            {
                long mid = lo + (hi - lo) / 2;
                var r = Test(mid, out long judged);
                if (!Works) return null;
                if (r is null)
                    throw new ImapiException(ImapiError.SourceUnreadable, $"{drive.Location}: no Q sub-channel position in blocks {mid}..{judged - 1}; the pregaps and index points cannot be found");
                if (!r.Value) lo = judged + 1;
                else if (judged == mid) hi = mid;
                else return FirstWhere(lo, mid, when) ?? judged; // [mid, judged) carry no position: the boundary is below mid or at judged
            }
            return lo;
        }
    }
}
