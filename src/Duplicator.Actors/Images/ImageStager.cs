using System.Collections.Immutable;
using Duplicator.Actors.Batches;
using Duplicator.Mastering.Audio;
using Duplicator.Mastering.Data;
using Duplicator.Mastering.Images;
using Duplicator.Mastering.Imapi;
using Duplicator.Mastering.Media;

namespace Duplicator.Actors.Images;

/// <summary>
/// A batch's image as staged in the stash: where it is, its geometry and track table, and the SHA-256 of its
/// content as a verifying recorder reads it back (every sector of a data image; the tracks' audio of an audio
/// disc). Immutable and shared read-only between actors.
/// </summary>
/// <param name="BatchId">The batch.</param>
/// <param name="StashPath">The staged file: an .iso, or the .cue of a BIN/CUE (an image source is used in place).</param>
/// <param name="SectorSize">2048 (data) or 2352 (audio).</param>
/// <param name="SectorCount">Sectors of the image.</param>
/// <param name="Tracks">Track table.</param>
/// <param name="ContentSha256">Upper-case hex SHA-256 of the content.</param>
public sealed record StagedImage(string BatchId, string StashPath, int SectorSize, long SectorCount, ImmutableArray<TrackInfo> Tracks, string ContentSha256);

/// <summary>
/// Stages a batch's source into the stash through Mastering, and checks a stash left by an earlier run. Not an
/// actor: the <see cref="StagingActor"/> runs it on a long-running task.
/// </summary>
public static class ImageStager
{
    /// <summary>The stash folder of one batch.</summary>
    public static string StashFolder(string stashDirectory, string batchId) =>
        Path.Combine(Path.GetFullPath(stashDirectory), Uri.EscapeDataString(batchId));

    /// <summary>
    /// Stages <paramref name="spec"/>: a folder becomes an ISO 9660 + Joliet image (its creation time is the batch's
    /// submission time, so staging the same unchanged folder again gives the same bytes); WAV files become a BIN/CUE;
    /// an image file is used where it is. Writes to a temporary name first: a crash never leaves a half stash that
    /// looks complete.
    /// </summary>
    public static StagedImage Stage(BatchSpec spec, DateTimeOffset submittedAt, string stashDirectory, CancellationToken cancellationToken)
    {
        var folder = StashFolder(stashDirectory, spec.BatchId);
        switch (spec.Source)
        {
            case SourceKind.Image:
                return Describe(spec.BatchId, Path.GetFullPath(spec.Paths.Single()), cancellationToken);
            case SourceKind.Folder:
            {
                var media = ParseMedia(spec.Media, MediaKind.Dvd);
                var staging = new JolietStaging(media)
                {
                    Properties = new JolietProperties(VolumeName: spec.Volume ?? "DUPLICATOR", CreationTime: submittedAt),
                };
                staging.AddData(spec.Paths.Single(), overwrite: false, cancellationToken: cancellationToken);
                Directory.CreateDirectory(folder);
                var path = Path.Combine(folder, "image.iso");
                staging.Build().WriteTo(path, cancellationToken: cancellationToken); // temp + rename inside
                return Describe(spec.BatchId, path, cancellationToken);
            }
            case SourceKind.Audio:
            {
                var media = ParseMedia(spec.Media, MediaKind.Cd80);
                Directory.CreateDirectory(folder);
                var work = Path.Combine(folder, "work");
                if (Directory.Exists(work)) Directory.Delete(work, recursive: true);
                Directory.CreateDirectory(work);
                using (var staging = new RedbookStaging(media, work))
                {
                    foreach (var wav in spec.Paths)
                        AudioImport.AddWav(staging, wav, cancellationToken: cancellationToken);
                    var disc = staging.Build();
                    var tmpCue = Path.Combine(work, "image.cue");
                    BinCueWriter.Write(disc, tmpCue, cancellationToken);
                    // The cue names its BIN relatively; move both, the cue last, so a complete cue means a complete stash.
                    foreach (var bin in Directory.GetFiles(work, "*.bin"))
                        File.Move(bin, Path.Combine(folder, Path.GetFileName(bin)), overwrite: true);
                    File.Move(tmpCue, Path.Combine(folder, "image.cue"), overwrite: true);
                }
                Directory.Delete(work, recursive: true);
                return Describe(spec.BatchId, Path.Combine(folder, "image.cue"), cancellationToken);
            }
            default:
                throw new ImapiException(ImapiError.InvalidInput, $"batch {spec.BatchId}: source '{spec.Source}' is not folder, image or audio");
        }
    }

    /// <summary>Opens a staged file as a disc image.</summary>
    public static IDiscImage Open(string stashPath) =>
        stashPath.EndsWith(".cue", StringComparison.OrdinalIgnoreCase) ? CueSheetImage.Open(stashPath) : new ImageFile(stashPath);

    /// <summary>Describes the image at <paramref name="path"/>, hashing its content once.</summary>
    public static StagedImage Describe(string batchId, string path, CancellationToken cancellationToken)
    {
        var image = Open(path);
        return new StagedImage(batchId, path, image.SectorSize, image.SectorCount, [.. image.Tracks],
            Convert.ToHexString(ContentSha256(image, cancellationToken)));
    }

    /// <summary>SHA-256 of what a verifying recorder reads back: every sector of data, the tracks (no gaps) of audio.</summary>
    public static byte[] ContentSha256(IDiscImage image, CancellationToken cancellationToken) =>
        image.Tracks.All(t => t.Kind == TrackKind.Data)
            ? image.ComputeSha256(cancellationToken)
            : image.ComputeSha256(image.Tracks.Select(t => (t.StartSector, t.Length)), cancellationToken);

    /// <summary>
    /// Brings back the stash an earlier run recorded (<paramref name="stashPath"/>, <paramref name="sha256"/>):
    /// used as is when it still hashes the same; restaged from the source when missing or altered; and a
    /// <see cref="ImapiException"/> (SourceChanged) when the restaged source no longer gives the same content,
    /// since discs already made would differ from the rest.
    /// </summary>
    public static StagedImage Restore(BatchSpec spec, DateTimeOffset submittedAt, string stashDirectory, string stashPath, string sha256, CancellationToken cancellationToken)
    {
        if (File.Exists(stashPath))
        {
            var existing = Describe(spec.BatchId, stashPath, cancellationToken);
            if (existing.ContentSha256 == sha256) return existing;
        }
        var again = Stage(spec, submittedAt, stashDirectory, cancellationToken);
        if (again.ContentSha256 != sha256)
            throw new ImapiException(ImapiError.SourceChanged,
                $"batch {spec.BatchId}: the source changed since it was staged (content SHA-256 {again.ContentSha256}, the ledger has {sha256}); discs made so far would differ from the rest");
        return again;
    }

    private static MediaKind ParseMedia(string? text, MediaKind fallback)
    {
        if (text is null) return fallback;
        return MediaCapacity.TryParse(text, out var kind) ? kind
            : throw new ImapiException(ImapiError.InvalidInput, $"media '{text}' is not one of cd74, cd80, dvd, dvd-dl, bd25, bd50");
    }
}
