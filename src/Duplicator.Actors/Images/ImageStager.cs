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
/// disc). Immutable and shared read-only between actors. The hash is computed after the image is readable (while
/// the first wave streams it): <see cref="ContentSha256"/> is null until then.
/// </summary>
/// <param name="BatchId">The batch.</param>
/// <param name="StashPath">The staged file: an .iso, or the .cue of a BIN/CUE (an image source is used in place).</param>
/// <param name="SectorSize">2048 (data) or 2352 (audio).</param>
/// <param name="SectorCount">Sectors of the image.</param>
/// <param name="Tracks">Track table.</param>
/// <param name="ContentSha256">Upper-case hex SHA-256 of the content; null while it is being computed.</param>
/// <param name="PerDisc">Where each disc of a per-disc batch gets its own sectors; null for a batch of identical discs.</param>
public sealed record StagedImage(string BatchId, string StashPath, int SectorSize, long SectorCount, ImmutableArray<TrackInfo> Tracks, string? ContentSha256,
    Mastering.Data.PerDisc.PerDiscPlan? PerDisc = null)
{
    /// <summary>Album CD-TEXT title of an audio image (a copy keeps its master's), or null.</summary>
    public string? Title { get; init; }

    /// <summary>Album CD-TEXT performer of an audio image, or null.</summary>
    public string? Performer { get; init; }

    /// <summary>Media catalog number of an audio image (13 digits), or null.</summary>
    public string? Catalog { get; init; }

    /// <summary>The staged image at <paramref name="path"/> as <paramref name="image"/> (opened from it) describes it, not yet hashed.</summary>
    public static StagedImage Of(string batchId, string path, IDiscImage image) =>
        new(batchId, path, image.SectorSize, image.SectorCount, [.. image.Tracks], null)
        {
            Title = image.Title, Performer = image.Performer, Catalog = image.Catalog,
        };
}

/// <summary>
/// Stages a batch's source into the stash through Mastering, and checks a stash left by an earlier run. Not an
/// actor: the <see cref="StagingActor"/> runs it on a long-running task.
/// </summary>
public static class ImageStager
{
    /// <summary>The stash folder of one batch (named safely from the id: see <see cref="StashFolders"/>).</summary>
    public static string StashFolder(string stashDirectory, string batchId) => StashFolders.Folder(stashDirectory, batchId);

    /// <summary>
    /// Stages <paramref name="spec"/>: a folder becomes an image of the batch's file systems (<see cref="BatchFileSystem.Of"/>:
    /// ISO 9660 + Joliet, the UDF bridge, UDF 2.50 or DVD-Video; its creation time is the batch's
    /// submission time, so staging the same unchanged folder again gives the same bytes); WAV files become a BIN/CUE;
    /// an image file is used where it is. Writes to a temporary name first: a crash never leaves a half stash that
    /// looks complete. The content is not hashed here (<see cref="Hash"/> does, later): an image is readable, and
    /// its first disc can start, as soon as it is staged.
    /// </summary>
    /// <remarks>With <paramref name="linkRoots"/>, every source and every link inside a source folder must resolve under them (SourceNotAllowed otherwise).</remarks>
    public static StagedImage Stage(BatchSpec spec, DateTimeOffset submittedAt, string stashDirectory, CancellationToken cancellationToken, IReadOnlyList<string>? linkRoots = null)
    {
        if (linkRoots != null) CheckRoots(spec, linkRoots);
        var folder = StashFolder(stashDirectory, spec.BatchId);
        switch (spec.Source)
        {
            case SourceKind.Image when spec.PerDisc is not null:
                throw new ImapiException(ImapiError.InvalidInput, $"batch {spec.BatchId}: per-disc files are mastered into a folder's image, not an image file");
            case SourceKind.Image:
                return Unhashed(spec.BatchId, Path.GetFullPath(spec.Paths.Single()));
            case SourceKind.Folder:
            {
                var media = ParseMedia(spec.Media, MediaKind.Dvd);
                var fileSystems = BatchFileSystem.Of(spec); // null (a batch recorded before the field): joliet, as it was staged then
                FileSystemNames.CheckFits(fileSystems, media, $"batch {BatchIds.Show(spec.BatchId)}");
                var staging = new JolietStaging(media)
                {
                    LinkRoots = linkRoots,
                    Properties = new JolietProperties(VolumeName: spec.Volume ?? "DUPLICATOR", CreationTime: submittedAt),
                    FileSystems = fileSystems,
                };
                staging.AddData(spec.Paths.Single(), overwrite: false, cancellationToken: cancellationToken);
                foreach (var f in spec.PerDisc?.Files ?? [])
                    staging.ReservePerDiscFile(f.Path, f.MaxBytes, submittedAt.UtcDateTime);
                StashFolders.Create(stashDirectory, spec.BatchId);
                var path = Path.Combine(folder, "image.iso");
                var built = staging.Build();
                if (built.PerDisc is { } plan) WritePlan(PlanPath(path), plan); // before the image: a complete image means a complete stash
                built.WriteTo(path, cancellationToken: cancellationToken); // temp + rename inside
                return Unhashed(spec.BatchId, path) with { PerDisc = built.PerDisc };
            }
            case SourceKind.Audio:
            {
                var media = ParseMedia(spec.Media, MediaKind.Cd80);
                StashFolders.Create(stashDirectory, spec.BatchId);
                var work = Path.Combine(folder, "work");
                if (Directory.Exists(work)) Directory.Delete(work, recursive: true);
                Directory.CreateDirectory(work);
                using (var staging = new RedbookStaging(media, work))
                {
                    if (spec.AudioInfo is { } info)
                        (staging.Title, staging.Performer, staging.Catalog) = (info.Title, info.Performer, info.Catalog);
                    for (int i = 0; i < spec.Paths.Length; i++)
                        AudioImport.AddWav(staging, spec.Paths[i], spec.AudioInfo?.Track(i), cancellationToken: cancellationToken);
                    var disc = staging.Build();
                    var tmpCue = Path.Combine(work, "image.cue");
                    BinCueWriter.Write(disc, tmpCue, cancellationToken);
                    // The cue names its BIN relatively; move both, the cue last, so a complete cue means a complete stash.
                    foreach (var bin in Directory.GetFiles(work, "*.bin"))
                        File.Move(bin, Path.Combine(folder, Path.GetFileName(bin)), overwrite: true);
                    File.Move(tmpCue, Path.Combine(folder, "image.cue"), overwrite: true);
                }
                Directory.Delete(work, recursive: true);
                return Unhashed(spec.BatchId, Path.Combine(folder, "image.cue"));
            }
            default:
                throw new ImapiException(ImapiError.InvalidInput, $"batch {spec.BatchId}: source '{spec.Source}' is not folder, image or audio");
        }
    }

    // The front end checked the paths at submission; a link swapped in since must not lead the staging elsewhere.
    private static void CheckRoots(BatchSpec spec, IReadOnlyList<string> linkRoots)
    {
        var roots = SourcePaths.ResolveRoots(linkRoots);
        foreach (var p in spec.Paths.Concat(spec.Source == SourceKind.Image ? CueBins(spec.Paths) : []))
            if (SourcePaths.RealPath(p) is { } real && !SourcePaths.IsUnderAny(real, roots))
                throw new ImapiException(ImapiError.SourceNotAllowed, $"batch {spec.BatchId}: {p} leads to {real}, outside the allowed roots ({string.Join(", ", roots)})");
    }

    // A foreign CUE sheet names its BIN: it is held to the same roots as the sheet.
    private static IEnumerable<string> CueBins(IEnumerable<string> paths) =>
        paths.Where(p => p.EndsWith(".cue", StringComparison.OrdinalIgnoreCase) && File.Exists(p)).Select(p => CueSheetImage.Open(p).BinPath);

    /// <summary>Opens a staged file as a disc image.</summary>
    public static IDiscImage Open(string stashPath) =>
        stashPath.EndsWith(".cue", StringComparison.OrdinalIgnoreCase) ? CueSheetImage.Open(stashPath) : new ImageFile(stashPath);

    /// <summary>Describes the image at <paramref name="path"/>, hashing its content once.</summary>
    public static StagedImage Describe(string batchId, string path, CancellationToken cancellationToken) =>
        Hash(Unhashed(batchId, path), cancellationToken);

    /// <summary>The staged image with its content hash (reads the stash once, sequentially).</summary>
    public static StagedImage Hash(StagedImage image, CancellationToken cancellationToken) =>
        image with { ContentSha256 = Convert.ToHexString(ContentSha256(Open(image.StashPath), cancellationToken)) };

    private static StagedImage Unhashed(string batchId, string path)
    {
        var image = Open(path);
        return StagedImage.Of(batchId, path, image);
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
    public static StagedImage Restore(BatchSpec spec, DateTimeOffset submittedAt, string stashDirectory, string stashPath, string sha256, CancellationToken cancellationToken,
        IReadOnlyList<string>? linkRoots = null)
    {
        if (File.Exists(stashPath))
        {
            var existing = Describe(spec.BatchId, stashPath, cancellationToken);
            if (existing.ContentSha256 == sha256 && spec.PerDisc is null) return existing;
            if (existing.ContentSha256 == sha256 && ReadPlan(stashPath) is { } plan) return existing with { PerDisc = plan };
        }
        var again = Hash(Stage(spec, submittedAt, stashDirectory, cancellationToken, linkRoots), cancellationToken);
        if (again.ContentSha256 != sha256)
            throw new ImapiException(ImapiError.SourceChanged,
                $"batch {spec.BatchId}: the source changed since it was staged (content SHA-256 {again.ContentSha256}, the ledger has {sha256}); discs made so far would differ from the rest");
        return again;
    }

    /// <summary>Where the per-disc plan of the image at <paramref name="imagePath"/> is kept.</summary>
    public static string PlanPath(string imagePath) => Path.Combine(Path.GetDirectoryName(imagePath)!, "image.perdisc.json");

    private static void WritePlan(string path, Mastering.Data.PerDisc.PerDiscPlan plan)
    {
        var temp = path + ".tmp";
        File.WriteAllBytes(temp, plan.Serialize());
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>The plan kept beside a staged image, if it is there, parses and fits that image; else null (the stash is staged again).</summary>
    private static Mastering.Data.PerDisc.PerDiscPlan? ReadPlan(string imagePath)
    {
        try
        {
            var path = PlanPath(imagePath);
            if (!File.Exists(path) || new FileInfo(path).Length > Mastering.Data.PerDisc.PerDiscPlan.MaxSerializedBytes) return null;
            var plan = Mastering.Data.PerDisc.PerDiscPlan.Parse(File.ReadAllBytes(path));
            plan.CheckAgainst(Open(imagePath));
            return plan;
        }
        catch (Exception e) when (e is ImapiException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static MediaKind ParseMedia(string? text, MediaKind fallback)
    {
        if (text is null) return fallback;
        return MediaCapacity.TryParse(text, out var kind) ? kind
            : throw new ImapiException(ImapiError.InvalidInput, $"media '{text}' is not one of cd74, cd80, dvd, dvd-dl, bd25, bd50");
    }
}
