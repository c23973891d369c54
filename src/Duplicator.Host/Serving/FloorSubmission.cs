using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Event;
using Duplicator.Actors.Batches;
using Duplicator.Actors.Floor;
using Duplicator.Actors.Images;
using Duplicator.Host.Control;
using Duplicator.Host.Jobs;
using Duplicator.Mastering.Imapi;

namespace Duplicator.Host.Serving;

/// <summary>
/// A submission on a floor of towers, made local first. The tower a batch is submitted to (API, hot folder, <c>burn</c>)
/// sees its source; the router's tower and the others may not. So this tower stages the image itself, hashes it, keeps
/// it in its stash at <see cref="Floor.ImagePath"/>, has its agent hold and register it (<see cref="Floor.Hold"/>), and
/// submits the batch with <see cref="BatchSpec.FloorImage"/>: the router stages nothing from the paths, and every tower
/// fetches the image by its hash, from here first. A router that moves needs nothing from the source either.
/// </summary>
public sealed class FloorSubmission(ActorSystem system, string stashDirectory, Uri controlUrl, IReadOnlyList<string>? linkRoots, TimeSpan timeout)
{
    private readonly ConcurrentDictionary<string, byte> _staging = new(StringComparer.Ordinal);

    /// <summary>Whether <paramref name="spec"/> is one a floor burns (a folder or an ISO image of identical discs) and so is staged here.</summary>
    public static bool Stages(BatchSpec spec) => spec.FloorImage is null && Floor.Refusal(spec) is null;

    /// <summary>
    /// Stages <paramref name="spec"/>'s image on this tower and returns the spec naming it. Bad input (a source that is
    /// missing, not allowed, too big for its file system) is a <see cref="JobRejectedException"/> naming it, and then
    /// nothing is left behind.
    /// </summary>
    public async Task<BatchSpec> StageAsync(BatchSpec spec, CancellationToken cancellationToken)
    {
        if (!_staging.TryAdd(spec.BatchId, 0))
            throw new JobRejectedException("request", [$"id: batch {BatchIds.Show(spec.BatchId)} is being staged on this tower already; try again when it answers"]);
        try
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var (sha, sectors, pieces) = await Task.Run(() => Stage(spec, cancellationToken), cancellationToken);
            system.Log.Info("floor: batch {0}: staged its image for the floor on this tower ({1} sectors, SHA-256 {2}) in {3:F2} s",
                BatchIds.Show(spec.BatchId), sectors, sha, clock.Elapsed.TotalSeconds);
            var answer = await system.ActorSelection("/user/" + FloorWiring.AgentName).Ask<object>(new Floor.Hold(sha), timeout, cancellationToken);
            if (answer is not Floor.HoldTaken) throw new InvalidOperationException($"the floor agent answered {answer.GetType().Name} to holding image {sha}");
            return spec with { FloorImage = new FloorImage(sha, sectors, controlUrl.ToString(), pieces, FloorPieces.DefaultPieceBytes) };
        }
        catch (ImapiException e)
        {
            throw new JobRejectedException("request", [$"source: {e.ImapiName}: {e.Message}"]);
        }
        finally
        {
            _staging.TryRemove(spec.BatchId, out _);
        }
    }

    /// <summary>The submission that staged <paramref name="sha256"/> was refused: the agent lets the copy go (unless a batch uses it).</summary>
    public void Release(string sha256) => system.ActorSelection("/user/" + FloorWiring.AgentName).Tell(new Floor.Unhold(sha256));

    /// <summary>The floor image <paramref name="sha256"/> this tower holds in its stash, or null (other towers fetch it from here).</summary>
    public StagedImageFile? Held(string sha256)
    {
        var file = new FileInfo(Floor.ImagePath(stashDirectory, sha256));
        return file.Exists ? new StagedImageFile(file.FullName, file.Length) : null;
    }

    // On a pool thread: mastering reads the whole source and writes the whole image.
    private (string Sha, long Sectors, string Pieces) Stage(BatchSpec spec, CancellationToken cancellationToken)
    {
        var work = Path.Combine(stashDirectory, "floor-submit"); // this class's own folder: one batch folder per staging, removed after
        Directory.CreateDirectory(Floor.ImageFolder(stashDirectory));
        string? part = null;
        try
        {
            var staged = ImageStager.Stage(spec, DateTimeOffset.UtcNow, work, cancellationToken, linkRoots);
            // One read: the content hash (every sector of a data image: the whole file) and the piece list the others check
            // each piece against as it arrives, kept beside the image, and written first: a held image has its list.
            (string Sha, byte[] List) hashed;
            if (spec.Source == SourceKind.Image)
            {
                // An image file is burned as it is: a copy of it is what this tower serves (the source may change or go),
                // hashed as it is copied, so the hashes are of the copy's bytes.
                StashFolders.Create(work, spec.BatchId);
                part = Path.Combine(StashFolders.Folder(work, spec.BatchId), "image.iso.part");
                hashed = FloorPieces.CopyAndHash(staged.StashPath, part, FloorPieces.DefaultPieceBytes, cancellationToken);
                staged = staged with { StashPath = part };
            }
            else hashed = FloorPieces.Hash(staged.StashPath, FloorPieces.DefaultPieceBytes, cancellationToken);
            var (sha, list) = hashed;
            var target = Floor.ImagePath(stashDirectory, sha);
            FloorPieces.WriteList(target, list);
            File.Move(staged.StashPath, target, overwrite: true); // the same hash is the same bytes
            part = null;
            return (sha, staged.SectorCount, FloorPieces.Root(list));
        }
        finally
        {
            if (part != null) File.Delete(part);
            StashFolders.Delete(work, spec.BatchId);
        }
    }
}
