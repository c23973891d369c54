using System.Text.Json;
using Duplicator.Mastering.Imapi;
using Duplicator.Mastering.Media;

namespace Duplicator.Drivers.Emulation;

/// <summary>One track of a disc loaded with <c>load=</c>.</summary>
internal readonly record struct MasterTrack(int Number, int Session, long Start, long Length, bool Audio = false);

/// <summary>
/// A finalized data disc the emulated drive serves from a file (<c>load=PATH</c>): a plain ISO (2048-byte
/// sectors, one track from LBA 0), or a <c>disc-&lt;n&gt;.iso</c> the emulator burned, whose tracks and
/// sessions come from the <c>disc-&lt;n&gt;.json</c> beside it. The file is opened read-only; nothing is
/// ever written to it. Everything is checked before the disc goes in: sizes within the medium's capacity,
/// tracks in order and inside the file.
/// </summary>
internal sealed record EmulatedMaster(string Path, IReadOnlyList<MasterTrack> Tracks, int Sessions, int BlockSize = MediaCapacity.DataBlockSize)
{
    /// <summary>Largest sidecar (.json) read.</summary>
    public const int MaxSidecarBytes = 1 << 20;

    /// <summary>Checks <paramref name="path"/> (and its sidecar) against a <paramref name="profile"/> medium of <paramref name="capacity"/> blocks.</summary>
    public static EmulatedMaster Open(string path, EmulatedProfile profile, long capacity)
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

        return FromSidecar(full, sidecar, blocks, blockSize, name, capacity, EmulatedProfiles.IsCd(profile) ? 99 : 9999);
    }

    private static EmulatedMaster FromSidecar(string image, string sidecar, long fileBlocks, int fileBlockSize, string profileName, long capacity, int maxTracks)
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
            if (status != "complete")
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
                var track = new MasterTrack(t.GetProperty("number").GetInt32(), t.GetProperty("session").GetInt32(), t.GetProperty("start").GetInt64(), t.GetProperty("length").GetInt64(), kind == "audio");
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

            return new EmulatedMaster(image, tracks, sessions, blockSize);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw Bad($"load '{image}': track list {sidecar} is not one the emulator writes ({e.Message})");
        }
    }

    private static ImapiException Bad(string message) => new(ImapiError.InvalidInput, message);
}
