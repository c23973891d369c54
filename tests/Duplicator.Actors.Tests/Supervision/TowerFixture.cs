using System.Collections.Immutable;
using System.Security.Cryptography;
using Akka.Actor;
using Duplicator.Actors.Batches;
using Duplicator.Actors.Images;
using Duplicator.Actors.Recorders;
using Duplicator.Actors.Supervision;
using Duplicator.Actors.Tests.Recorders;

namespace Duplicator.Actors.Tests.Supervision;

/// <summary>Helpers for tower tests: a temp folder with an image file, fake drives, fast settings, waiting for a batch.</summary>
internal sealed class TowerFixture : IDisposable
{
    /// <summary>Actor system config of tower tests: the in-memory journal, warnings and errors logged.</summary>
    public static Akka.Configuration.Config InMemoryConfig { get; } = PersistenceConfig.InMemory().WithFallback(
        Akka.Configuration.ConfigurationFactory.ParseString("akka.loglevel = WARNING"));

    public string Dir { get; } = Directory.CreateTempSubdirectory("dup-tower-").FullName;

    public string Stash => Path.Combine(Dir, "stash");

    /// <summary>Writes a random image of <paramref name="sectors"/> 2048-byte sectors; returns its path and SHA-256.</summary>
    public (string Path, string Sha256) Image(int sectors, int seed = 1)
    {
        var bytes = new byte[sectors * 2048];
        new Random(seed).NextBytes(bytes);
        var path = System.IO.Path.Combine(Dir, $"image-{seed}.iso");
        File.WriteAllBytes(path, bytes);
        return (path, Convert.ToHexString(SHA256.HashData(bytes)));
    }

    public static Tower.Settings Fast(string stash, int quarantineAfter = 3) => new(stash, quarantineAfter,
        TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1), 5, TimeSpan.FromSeconds(10),
        new Recorder.Settings(TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(50)),
        new Staging.Settings(64 * 1024, 16, TimeSpan.FromMilliseconds(600), TimeSpan.FromMilliseconds(100))
        {
            // Fake drives of one speed run in step: on a loaded 2-core machine scheduling jitter alone held the window
            // back for more than the default 100 ms and split a wave (measured in CI), so in-step tests get more grace.
            LagGrace = TimeSpan.FromSeconds(2),
        });

    /// <summary>
    /// <see cref="Fast"/> for tests that do not exercise a stalled drive: the 600 ms stall deadline detached an emulated
    /// CD drive preparing a disc-at-once burn on a loaded CI machine (measured), failing a one-disc batch for nothing.
    /// </summary>
    public static Tower.Settings Patient(string stash)
    {
        var fast = Fast(stash);
        return fast with { Staging = fast.Staging with { StallTimeout = TimeSpan.FromSeconds(30) } };
    }

    public static ImmutableArray<Tower.DriveSpec> Drives(params FakeDrive[] drives) =>
        [.. drives.Select(d => new Tower.DriveSpec(d.Path, "fake:" + d.Path, () => d))];

    public static BatchSpec ImageBatch(string id, string image, int copies, bool verify = true, int threshold = 0, bool rejectIfNotBlank = true, params string[] drives) =>
        new(id, SourceKind.Image, [image], copies, new BatchOptions(verify, 0, threshold, rejectIfNotBlank, [.. drives]));

    /// <summary>Polls the tower until the batch is finished or the time is up; returns its last state.</summary>
    public static async Task<BatchState> UntilFinished(IActorRef tower, string id, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        BatchState? last = null;
        while (DateTime.UtcNow < deadline)
        {
            if ((await tower.Ask<Tower.BatchAnswer>(new Tower.GetBatch(id), TimeSpan.FromSeconds(5))).State is { } s)
            {
                last = s;
                if (s.IsFinished) return s;
            }
            await Task.Delay(50);
        }
        throw new TimeoutException($"batch {id} did not finish in {timeout}: {last?.Status}, {last?.Good.Count} good, discs: "
            + string.Join("; ", (last?.Discs.Values ?? []).Take(8).Select(d => $"{d.Disc} {d.Drive} {d.State} {d.Reason}")));
    }

    public static async Task<Tower.DriveStatus> Drive(IActorRef tower, string id) =>
        (await tower.Ask<Tower.DriveStatus[]>(Tower.GetDrives.Instance, TimeSpan.FromSeconds(5))).Single(d => d.Id == id);

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(Dir, true);
        }
        catch (IOException)
        {
            // a hung fake drive may still hold nothing on disk; the temp folder is best effort
        }
    }
}
