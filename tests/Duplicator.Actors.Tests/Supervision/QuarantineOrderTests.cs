using System.Collections.Immutable;
using Akka.Actor;
using Akka.Persistence;
using Akka.Persistence.Journal;
using Duplicator.Actors.Batches;
using Duplicator.Actors.Supervision;
using Duplicator.Actors.Tests.Recorders;

namespace Duplicator.Actors.Tests.Supervision;

/// <summary>A journal that takes half a second to store a <see cref="DriveQuarantined"/> and says when it has.</summary>
public sealed class SlowQuarantineJournal : MemoryJournal
{
    /// <summary>Set once a DriveQuarantined is stored.</summary>
    public static volatile bool QuarantineStored;

    protected override async Task<IImmutableList<Exception?>> WriteMessagesAsync(IEnumerable<AtomicWrite> messages, CancellationToken cancellationToken)
    {
        var list = messages.ToList();
        bool quarantine = list.SelectMany(m => (IEnumerable<IPersistentRepresentation>)m.Payload).Any(p => p.Payload is DriveQuarantined);
        if (quarantine) await Task.Delay(500, cancellationToken);
        var result = await base.WriteMessagesAsync(list, cancellationToken);
        if (quarantine) QuarantineStored = true;
        return result;
    }
}

/// <summary>A quarantine takes effect only once it is in the tower's journal (026b234 applied it first and persisted it with an empty callback).</summary>
public sealed class QuarantineOrderTests() : Akka.TestKit.Xunit2.TestKit(Akka.Configuration.ConfigurationFactory.ParseString($$"""
    akka.loglevel = WARNING
    akka.persistence.journal.plugin = "akka.persistence.journal.slow"
    akka.persistence.journal.slow.class = "{{typeof(SlowQuarantineJournal).AssemblyQualifiedName}}"
    akka.persistence.journal.slow.plugin-dispatcher = "akka.actor.default-dispatcher"
    akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
    """).WithFallback(PersistenceConfig.InMemory()))
{
    private readonly TowerFixture _fx = new();

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) _fx.Dispose();
    }

    [Fact]
    public async Task No_one_sees_a_drive_quarantined_before_the_quarantine_is_stored()
    {
        SlowQuarantineJournal.QuarantineStored = false;
        var (image, _) = _fx.Image(128);
        var bad = new FakeDrive("d1", new FakeScript(FailAtBlock: 32));
        var probe = CreateTestProbe();
        Sys.EventStream.Subscribe(probe.Ref, typeof(Tower.DriveChanged));
        var tower = Sys.ActorOf(Tower.Props(TowerFixture.Drives(bad), TowerFixture.Fast(_fx.Stash, quarantineAfter: 2)), "tower");
        await tower.Ask<Tower.SubmitReply>(new Tower.Submit(TowerFixture.ImageBatch("q1", image, copies: 5, verify: false, threshold: 0)), TimeSpan.FromSeconds(30));

        var quarantined = probe.FishForMessage<Tower.DriveChanged>(c => c.Drive.Quarantined, TimeSpan.FromSeconds(30));
        Assert.True(SlowQuarantineJournal.QuarantineStored, "DriveChanged said quarantined before the journal had stored it");
        Assert.Contains("2 failed discs in a row", quarantined.Drive.Message);
        var drives = await tower.Ask<Tower.DriveStatus[]>(Tower.GetDrives.Instance, TimeSpan.FromSeconds(30));
        Assert.True(drives.Single().Quarantined);
        await Task.Delay(500);
        Assert.Equal(2, bad.Started); // no third disc on a drive whose quarantine was being stored
    }
}
