using Akka.Actor;
using Duplicator.Actors.Batches;
using Duplicator.Actors.Drives;

namespace Duplicator.Actors.Tests.Drives;

/// <summary>The drive history: its pure fold, and its journal in a real SQLite file across two actor systems.</summary>
public sealed class DriveHistoryTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 2, 1, 0, 0, TimeSpan.Zero);
    private readonly string _dir = Directory.CreateTempSubdirectory("dup-history-").FullName;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, true);
    }

    private static DriveHistory.DiscRecorded Good(string drive, int disc, long bytes = 1_000_000, double seconds = 10, long? underruns = 0) =>
        new(drive, "b1", disc, true, bytes, seconds, underruns, null, null, false, T0.AddMinutes(disc));

    private static DriveHistory.DiscRecorded Bad(string drive, int disc, bool driveFault = true) =>
        new(drive, "b1", disc, false, 4096, 1, 1, $"write error {disc}", new DiscError(Mastering.Imapi.ImapiError.CannotWriteToMedia, new SenseCode(3, 0x0C, 0), 96 + disc),
            driveFault, T0.AddMinutes(disc));

    [Fact]
    public void Counts_add_up_and_the_last_failures_are_kept_newest_first_within_the_bound()
    {
        var s = DriveHistory.State.Empty;
        s = DriveHistory.Apply(s, Good("d1", 1, underruns: 2));
        for (int i = 2; i <= 13; i++) s = DriveHistory.Apply(s, Bad("d1", i));
        s = DriveHistory.Apply(s, Bad("d1", 14, driveFault: false)); // media the operator must change
        s = DriveHistory.Apply(s, Good("d2", 1, underruns: null)); // a drive that cannot count underruns
        var d1 = s.Drives["d1"];
        Assert.Equal((1L, 12L, 1L), (d1.Good, d1.Bad, d1.Refused));
        Assert.Equal(1_000_000 + 13 * 4096L, d1.BytesWritten);
        Assert.Equal(2 + 13L, d1.Underruns);
        Assert.Equal(10 + 13.0, d1.WritingSeconds);
        Assert.Equal(DriveHistory.LastFailuresKept, d1.LastFailures.Length);
        Assert.Equal([14, 13, 12, 11, 10, 9, 8, 7, 6, 5], d1.LastFailures.Select(f => f.Disc));
        Assert.Equal((new SenseCode(3, 0x0C, 0), 96 + 13L), (d1.LastFailures[1].Error!.Sense, d1.LastFailures[1].Error!.Lba));
        Assert.Equal((T0.AddMinutes(1), T0.AddMinutes(14)), (d1.FirstSeen, d1.LastSeen));
        Assert.Equal(0, s.Drives["d2"].Underruns);
        Assert.Equal(15, s.Version);
    }

    [Fact]
    public async Task The_history_survives_a_new_actor_system_on_the_same_SQLite_ledger()
    {
        var db = Path.Combine(_dir, "ledger.db");
        var ask = TimeSpan.FromSeconds(20);
        using (var first = ActorSystem.Create("h-first", PersistenceConfig.Sqlite(db)))
        {
            var history = first.ActorOf(DriveHistory.Props(snapshotEvery: 3));
            first.EventStream.Subscribe(history, typeof(DriveHistory.DiscRecorded));
            // Published as recorders do: on the event stream.
            for (int i = 1; i <= 4; i++) first.EventStream.Publish(Good("d1", i));
            first.EventStream.Publish(Bad("d2", 5));
            await AwaitAssert(async () =>
            {
                var h = await history.Ask<DriveHistory.Histories>(DriveHistory.Get.Instance, ask);
                Assert.Equal(4, h.Drives["d1"].Good);
                Assert.Equal(1, h.Drives["d2"].Bad);
            });
            await first.Terminate();
        }
        using (var second = ActorSystem.Create("h-second", PersistenceConfig.Sqlite(db)))
        {
            var h = await second.ActorOf(DriveHistory.Props(snapshotEvery: 3)).Ask<DriveHistory.Histories>(DriveHistory.Get.Instance, ask);
            Assert.Equal((4L, 0L, 4_000_000L), (h.Drives["d1"].Good, h.Drives["d1"].Bad, h.Drives["d1"].BytesWritten));
            var failure = Assert.Single(h.Drives["d2"].LastFailures);
            Assert.Equal(("write error 5", "03/0C/00", 101L), (failure.Reason, failure.Error!.Sense!.ToString(), failure.Error.Lba));
            await second.Terminate();
        }
    }

    private static async Task AwaitAssert(Func<Task> check)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            try
            {
                await check();
                return;
            }
            catch (Exception) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }
}
