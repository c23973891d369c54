using System.Security.Cryptography;
using Duplicator.Drivers.Burning;
using Duplicator.Drivers.Mmc;
using Duplicator.Mastering.Audio;
using Duplicator.Mastering.Imapi;
using Duplicator.Mastering.Media;

namespace Duplicator.Drivers.Reading;

/// <summary>What a disc holds, as far as copying it goes.</summary>
public enum DiscContent
{
    /// <summary>2048-byte data tracks (CD-ROM, DVD, BD): copied as an ISO image.</summary>
    Data,
    /// <summary>CD-DA tracks only: copied as BIN/CUE.</summary>
    Audio,
}

/// <summary>A disc read into files.</summary>
/// <param name="ImagePath">The .iso of a data disc, or the .cue of an audio disc (its .bin beside it).</param>
/// <param name="Content">Data or audio.</param>
/// <param name="Sectors">Sectors read: 2048-byte blocks of data, or 2352-byte CD-DA blocks of the tracks.</param>
/// <param name="Files">Every file written with its SHA-256 (upper-case hex), the image first (a BIN before its CUE).</param>
public sealed record DiscReadResult(string ImagePath, DiscContent Content, long Sectors, IReadOnlyList<(string Path, string Sha256)> Files);

/// <summary>
/// Reads a whole disc into files, data or audio, whichever it holds: the step a copy job's master and a read (archive)
/// job share. Data discs go through <see cref="DataDiscReader"/> (recorded size from the track information, bounded
/// retries, unreadable blocks named), audio CDs through <see cref="AudioDiscReader"/> into a Red Book staging written
/// as BIN/CUE. Nothing is half-written: files appear under their names only when complete, an existing file is never
/// replaced (FileExists), and the work files of a failed read are removed.
/// </summary>
public static class DiscImageReader
{
    /// <summary>Data or audio: a CD whose TOC lists only CD-DA tracks is audio, anything else data (waits until ready).</summary>
    public static DiscContent Probe(MmcDevice drive, CancellationToken cancellationToken = default)
    {
        drive.WaitUntilReady(TimeSpan.FromSeconds(30), cancellationToken);
        var profile = drive.CurrentProfile();
        if (profile == MmcProfile.None)
            throw new ImapiException(ImapiError.MediumNotPresent, $"{drive.Location}: no medium to read");
        if (!MmcProfiles.IsCd(profile)) return DiscContent.Data;
        var tracks = drive.ReadToc().Tracks.ToList();
        return tracks.Count > 0 && tracks.All(t => !t.IsData) ? DiscContent.Audio : DiscContent.Data;
    }

    /// <summary>
    /// Reads the disc in <paramref name="drive"/> to <paramref name="folder"/>/<paramref name="baseName"/>.iso, or
    /// .bin + .cue for an audio CD. <paramref name="baseName"/> must be a plain file name (letters, digits, '-', '_').
    /// </summary>
    public static DiscReadResult ReadTo(MmcDevice drive, string folder, string baseName, DataDiscReadOptions? options = null,
        Action<long, long>? progress = null, CancellationToken cancellationToken = default)
    {
        if (baseName.Length is 0 or > 64 || !baseName.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            throw new ImapiException(ImapiError.InvalidInput, $"image name '{baseName}' is not 1-64 letters, digits, '-' or '_'");
        folder = Path.GetFullPath(folder);
        if (Probe(drive, cancellationToken) == DiscContent.Data)
        {
            var data = DataDiscReader.ReadTo(drive, Path.Combine(folder, baseName + ".iso"), options, progress, cancellationToken);
            return new DiscReadResult(data.Path, DiscContent.Data, data.Layout.Sectors, [(data.Path, Convert.ToHexString(data.Sha256))]);
        }
        var cue = Path.Combine(folder, baseName + ".cue");
        var bin = BinCueWriter.BinPathFor(cue);
        foreach (var f in new[] { cue, bin })
            if (File.Exists(f) || Directory.Exists(f))
                throw new ImapiException(ImapiError.FileExists, $"{f}: already exists; a read never replaces a file");
        Directory.CreateDirectory(folder);
        var work = Path.Combine(folder, $".{baseName}.{Guid.NewGuid():N}.part");
        Directory.CreateDirectory(work);
        try
        {
            // An 80-minute CD's capacity: the staging refuses a master longer than that rather than truncating it.
            using var staging = new RedbookStaging(MediaKind.Cd80, work);
            AudioDiscReader.ReadInto(drive, staging, options, cancellationToken);
            var disc = staging.Build();
            var workCue = Path.Combine(work, baseName + ".cue");
            BinCueWriter.Write(disc, workCue, cancellationToken, replace: false);
            // The CUE names its BIN relatively: move the BIN first, the CUE last, so a CUE under its name means a complete pair.
            File.Move(BinCueWriter.BinPathFor(workCue), bin, overwrite: false);
            File.Move(workCue, cue, overwrite: false);
            long sectors = disc.Tracks.Sum(t => t.Length);
            return new DiscReadResult(cue, DiscContent.Audio, sectors, [(bin, FileSha256(bin, cancellationToken)), (cue, FileSha256(cue, cancellationToken))]);
        }
        finally
        {
            if (Directory.Exists(work)) Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>
    /// SHA-256 of the disc's content as the tower's verification reads it back (<c>ImageStager.ContentSha256</c>): the
    /// first <paramref name="dataSectors"/> 2048-byte blocks of a data disc (0: every recorded block), or every CD-DA
    /// track's audio of an audio CD, gaps excluded. A data disc with fewer recorded blocks than asked is WrongDisc.
    /// </summary>
    public static byte[] ContentSha256(MmcDevice drive, long dataSectors, Action<long, long>? progress = null, CancellationToken cancellationToken = default)
    {
        if (Probe(drive, cancellationToken) == DiscContent.Data)
        {
            var layout = DataDiscReader.ReadLayout(drive, cancellationToken);
            long recorded = layout.StartLba + layout.Sectors;
            if (dataSectors > recorded)
                throw new ImapiException(ImapiError.WrongDisc, $"{drive.Location}: the disc holds {recorded} recorded blocks, the image has {dataSectors}");
            long count = dataSectors > 0 ? dataSectors : layout.Sectors;
            long start = dataSectors > 0 ? 0 : layout.StartLba;
            return DataDiscWriter.ReadBackSha256(drive, start, count, cancellationToken, progress is null ? null : new VerifyProgress(progress));
        }
        var tracks = AudioDiscReader.ReadLayout(drive, cancellationToken);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[AudioDiscReader.ChunkBlocks * RedbookStaging.BlockSize];
        long total = tracks.Sum(t => t.Blocks), read = 0;
        foreach (var t in tracks)
            for (long done = 0; done < t.Blocks;)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int n = (int)Math.Min(AudioDiscReader.ChunkBlocks, t.Blocks - done);
                var span = buffer.AsSpan(0, n * RedbookStaging.BlockSize);
                drive.ReadCdAudio(t.Start + done, span);
                hash.AppendData(span);
                done += n;
                read += n;
                progress?.Invoke(read, total);
            }
        return hash.GetHashAndReset();
    }

    /// <summary>SHA-256 of a file in upper-case hex.</summary>
    public static string FileSha256(string path, CancellationToken cancellationToken = default)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 16];
        int n;
        while ((n = stream.Read(buffer)) > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            hash.AppendData(buffer.AsSpan(0, n));
        }
        return Convert.ToHexString(hash.GetHashAndReset());
    }

    private sealed class VerifyProgress(Action<long, long> report) : IDiscMasterProgressEvents
    {
        public void NotifyVerifyProgress(long completedBlocks, long totalBlocks) => report(completedBlocks, totalBlocks);
    }
}
