using System.Text.Json;
using Duplicator.Mastering.Audio;
using Duplicator.Mastering.Imapi;
using Duplicator.Mastering.Media;

namespace Duplicator.Drivers.Emulation;

/// <summary>One track of a disc loaded with <c>load=</c>: on an audio CD with its INDEX 00, INDEX 02+ and ISRC.</summary>
internal readonly record struct MasterTrack(int Number, int Session, long Start, long Length, bool Audio = false, long? PregapStart = null, IReadOnlyList<long>? Indexes = null, string? Isrc = null);

/// <summary>
/// A finalized data disc the emulated drive serves from a file (<c>load=PATH</c>): a plain ISO (2048-byte
/// sectors, one track from LBA 0), or a <c>disc-&lt;n&gt;.iso</c> the emulator burned, whose tracks and
/// sessions come from the <c>disc-&lt;n&gt;.json</c> beside it. The file is opened read-only; nothing is
/// ever written to it. Everything is checked before the disc goes in: sizes within the medium's capacity,
/// tracks in order and inside the file. On CD, a <c>.cue</c> (a CDRWIN sheet of AUDIO tracks, as
/// <see cref="CueSheetImage"/> reads it) loads as a disc-at-once audio CD: its pregaps (INDEX 00, PREGAP), index
/// points, ISRCs, CATALOG and TITLE/PERFORMER (served as CD-TEXT); a burned <c>.bin</c>'s sidecar carries the same.
/// </summary>
internal sealed record EmulatedMaster(string Path, IReadOnlyList<MasterTrack> Tracks, int Sessions, int BlockSize = MediaCapacity.DataBlockSize,
    string? Catalog = null, byte[]? CdText = null, Duplicator.Mastering.Images.IDiscImage? Image = null)
{
    /// <summary>Largest CD-TEXT a sidecar may carry: the packs READ TOC can return.</summary>
    public const int MaxCdTextBytes = CdTextPacks.MaxPacks * CdTextPacks.PackSize;

    /// <summary>Largest sidecar (.json) read.</summary>
    public const int MaxSidecarBytes = 1 << 20;

    /// <summary>
    /// Checks <paramref name="path"/> (and its sidecar) against a <paramref name="profile"/> medium of <paramref name="capacity"/> blocks.
    /// <paramref name="appendable"/>: the disc is loaded open for another session (<c>state=appendable</c>): a data disc
    /// (.iso) only, whose sidecar may say <c>complete</c> or <c>appendable</c>.
    /// </summary>
    public static EmulatedMaster Open(string path, EmulatedProfile profile, long capacity, bool appendable = false)
    {
        var name = EmulatedProfiles.Name(profile);
        if (profile is EmulatedProfile.None or EmulatedProfile.DvdPlusRw)
        {
            throw Bad($"load '{path}': a master goes into a drive with a recordable medium (cd-r, cd-rw, dvd-r, dvd-rw, dvd+r, bd-r), not {name}");
        }

        var full = System.IO.Path.GetFullPath(path);
        var info = new FileInfo(full);
        if (!info.Exists)
        {
            throw Bad($"load '{full}': no such file (load=PATH of an ISO image or of a disc-<n>.iso the emulator burned)");
        }

        if (appendable && (full.EndsWith(".cue", StringComparison.OrdinalIgnoreCase) || full.EndsWith(".bin", StringComparison.OrdinalIgnoreCase)))
        {
            throw Bad($"load '{full}': state=appendable takes a data disc (an .iso of 2048-byte sectors); an audio disc is loaded finalized");
        }

        if (EmulatedProfiles.IsCd(profile) && full.EndsWith(".cue", StringComparison.OrdinalIgnoreCase))
        {
            return FromCue(full, capacity);
        }

        var sidecar = System.IO.Path.ChangeExtension(full, ".json");
        // A .bin of 2352-byte CD-DA blocks is read only with the track list the emulator wrote beside it.
        var blockSize = File.Exists(sidecar) && EmulatedProfiles.IsCd(profile) && full.EndsWith(".bin", StringComparison.OrdinalIgnoreCase)
            ? MediaCapacity.AudioBlockSize : MediaCapacity.DataBlockSize;
        if (info.Length == 0 || info.Length % blockSize != 0)
        {
            throw Bad($"load '{full}': {info.Length} bytes is not a whole number of {blockSize}-byte sectors (at least one)");
        }

        var blocks = info.Length / blockSize;
        if (!File.Exists(sidecar))
        {
            if (blocks > capacity)
            {
                throw Bad($"load '{full}': {blocks} sectors do not fit the {name}'s {capacity} blocks");
            }

            return new EmulatedMaster(full, [new MasterTrack(1, 1, 0, blocks)], 1);
        }

        return FromSidecar(full, sidecar, blocks, blockSize, name, capacity, EmulatedProfiles.IsCd(profile) ? 99 : 9999, appendable);
    }

    private static EmulatedMaster FromSidecar(string image, string sidecar, long fileBlocks, int fileBlockSize, string profileName, long capacity, int maxTracks, bool appendable)
    {
        var length = new FileInfo(sidecar).Length;
        if (length > MaxSidecarBytes)
        {
            throw Bad($"load '{image}': track list {sidecar} is {length} bytes, over the {MaxSidecarBytes} allowed");
        }

        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(sidecar));
            var root = doc.RootElement;
            var profile = root.GetProperty("profile").GetString();
            if (profile != profileName)
            {
                throw Bad($"load '{image}': {sidecar} describes a {profile} disc, the drive holds {profileName} media");
            }

            var status = root.GetProperty("status").GetString();
            if (status != "complete" && !(appendable && status == "appendable"))
            {
                throw Bad($"load '{image}': {sidecar} says the disc is {status}; load= takes a finalized (complete) disc");
            }

            var blockSize = root.GetProperty("blockSize").GetInt32();
            if (blockSize != fileBlockSize)
            {
                throw Bad($"load '{image}': {sidecar} has {blockSize}-byte blocks; load= serves 2048-byte data discs (.iso) and, on CD, 2352-byte CD-DA discs (.bin)");
            }

            var kind = blockSize == MediaCapacity.AudioBlockSize ? "audio" : "data";

            var list = root.GetProperty("tracks");
            if (list.GetArrayLength() is var count && (count < 1 || count > maxTracks))
            {
                throw Bad($"load '{image}': {sidecar} lists {count} tracks, not 1..{maxTracks}");
            }

            var tracks = new List<MasterTrack>();
            long end = 0;
            var session = 1;
            foreach (var t in list.EnumerateArray())
            {
                var track = new MasterTrack(t.GetProperty("number").GetInt32(), t.GetProperty("session").GetInt32(), t.GetProperty("start").GetInt64(), t.GetProperty("length").GetInt64(), kind == "audio",
                    t.TryGetProperty("pregapStart", out var pg) ? pg.GetInt64() : null,
                    t.TryGetProperty("indexes", out var ix) ? [.. ix.EnumerateArray().Select(x => x.GetInt64())] : null,
                    t.TryGetProperty("isrc", out var isrc) ? isrc.GetString() : null);
                if (track.Isrc is { } code && !RedbookStaging.IsIsrc(code))
                {
                    throw Bad($"load '{image}': track {track.Number} of {sidecar} has ISRC '{code}', not 12 characters CCOOOYYNNNNN");
                }

                // INDEX 00 lies in the previous track's recorded range (a DAO track runs on to the next INDEX 01), track 1's from -150.
                if ((track.PregapStart is { } p && (p > track.Start || p < (tracks.Count > 0 ? tracks[^1].Start + 1 : -150))) || track.Indexes is { Count: > 98 }
                    || (track.Indexes ?? []).Where((x, i) => x <= track.Start || x >= track.Start + track.Length || (i > 0 && x <= track.Indexes![i - 1])).Any())
                {
                    throw Bad($"load '{image}': track {track.Number} of {sidecar} has its pregap start {track.PregapStart} or index points [{string.Join(", ", track.Indexes ?? [])}] outside the track");
                }
                if (t.GetProperty("kind").GetString() != kind)
                {
                    throw Bad($"load '{image}': track {track.Number} of {sidecar} is not a {kind} track like the disc's {blockSize}-byte blocks");
                }

                if (track.Number != tracks.Count + 1 || track.Session < session || track.Session > session + 1 || track.Start < end || track.Length < 1
                    || track.Start + track.Length > capacity || (track.Start + track.Length) > fileBlocks)
                {
                    throw Bad($"load '{image}': track {tracks.Count + 1} of {sidecar} (number {track.Number}, session {track.Session}, start {track.Start}, length {track.Length}) "
                        + $"is out of order or outside the {fileBlocks} sectors of the file / the medium's {capacity} blocks");
                }

                session = track.Session;
                end = track.Start + track.Length;
                tracks.Add(track);
            }

            var sessions = root.GetProperty("sessions").GetInt32();
            if (sessions != session)
            {
                throw Bad($"load '{image}': {sidecar} says {sessions} sessions, its last track is in session {session}");
            }

            var catalog = root.TryGetProperty("catalog", out var c) ? c.GetString() : null;
            if (catalog is not null && (catalog.Length != 13 || !catalog.All(char.IsAsciiDigit)))
            {
                throw Bad($"load '{image}': {sidecar} has catalog '{catalog}', not 13 digits");
            }

            byte[]? cdText = null;
            if (root.TryGetProperty("cdText", out var ct))
            {
                var hex = ct.GetString() ?? "";
                if (hex.Length > 2 * MaxCdTextBytes)
                {
                    throw Bad($"load '{image}': {sidecar} has {hex.Length / 2} bytes of CD-TEXT, over the {MaxCdTextBytes} READ TOC can return");
                }

                cdText = Convert.FromHexString(hex);
                try
                {
                    _ = CdTextPacks.Decode(cdText);
                }
                catch (InvalidDataException e)
                {
                    throw Bad($"load '{image}': {sidecar} has CD-TEXT that does not decode: {e.Message}");
                }
            }

            return new EmulatedMaster(image, tracks, sessions, blockSize, catalog, cdText);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw Bad($"load '{image}': track list {sidecar} is not one the emulator writes ({e.Message})");
        }
    }

    // A CDRWIN sheet as a disc-at-once audio CD: LBA = image sector - 150; a track runs from its INDEX 01 to the next
    // track's INDEX 01 (its successor's pregap included, as READ TRACK INFORMATION counts it on a DAO disc).
    private static EmulatedMaster FromCue(string cuePath, long capacity)
    {
        CueSheetImage cue;
        try
        {
            cue = CueSheetImage.Open(cuePath);
        }
        catch (ImapiException e)
        {
            throw Bad($"load '{cuePath}': {e.Message}");
        }

        var lead = cue.SectorCount - 150;
        if (lead > capacity)
        {
            throw Bad($"load '{cuePath}': {lead} sectors do not fit the medium's {capacity} blocks");
        }

        if (cue.Catalog is { } mcn && (mcn.Length != 13 || !mcn.All(char.IsAsciiDigit)))
        {
            throw Bad($"load '{cuePath}': CATALOG '{mcn}' is not 13 digits");
        }

        var tracks = new List<MasterTrack>();
        for (var i = 0; i < cue.Tracks.Count; i++)
        {
            var t = cue.Tracks[i];
            if (t.Isrc is { } isrc && !RedbookStaging.IsIsrc(isrc))
            {
                throw Bad($"load '{cuePath}': track {t.Number} has ISRC '{isrc}', not 12 characters CCOOOYYNNNNN");
            }

            var start = t.StartSector - 150;
            var end = i + 1 < cue.Tracks.Count ? cue.Tracks[i + 1].StartSector - 150 : lead;
            if (end - start < 300)
            {
                throw Bad($"load '{cuePath}': track {t.Number} has {end - start} blocks to the next track, fewer than 300 (4 s)");
            }

            tracks.Add(new MasterTrack(t.Number, 1, start, end - start, true, start - t.PregapSectors, t.Indexes is { } x ? [.. x.Select(v => start + v)] : null, t.Isrc));
        }

        byte[]? cdText = null;
        var text = new CdText(cue.Title, cue.Performer, null, [.. cue.Tracks.Select(t => new CdTextTrack(t.Title, t.Performer))]);
        if (!text.IsEmpty)
        {
            try
            {
                cdText = CdTextPacks.Encode(text);
            }
            catch (ImapiException e)
            {
                throw Bad($"load '{cuePath}': {e.Message}");
            }
        }

        return new EmulatedMaster(cue.BinPath, tracks, 1, MediaCapacity.AudioBlockSize, cue.Catalog, cdText, cue);
    }


    private static ImapiException Bad(string message) => new(ImapiError.InvalidInput, message);
}
