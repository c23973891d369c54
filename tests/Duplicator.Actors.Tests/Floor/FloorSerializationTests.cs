using System.Collections.Immutable;
using Akka.Actor;
using Akka.TestKit.Xunit2;
using Duplicator.Actors.Batches;
using Duplicator.Actors.Images;
using Duplicator.Actors.Recorders;
using Duplicator.Actors.Supervision;
using Duplicator.Drivers.Imapi;
using FloorProtocol = Duplicator.Actors.Floor.Floor;

namespace Duplicator.Actors.Tests.Floor;

/// <summary>Every message that crosses a floor's nodes, through the serializer remoting uses for it, comes back equal in what matters.</summary>
public sealed class FloorSerializationTests() : TestKit(PersistenceConfig.InMemory()) // its serializer bindings are every host's
{
    private T RoundTrip<T>(T message)
    {
        var serializer = Sys.Serialization.FindSerializerFor(message);
        var bytes = serializer.ToBinary(message);
        var manifest = serializer is Akka.Serialization.SerializerWithStringManifest m ? m.Manifest(message!) : Akka.Util.TypeExtensions.TypeQualifiedName(message!.GetType());
        var back = Akka.Serialization.Serialization.WithTransport((ExtendedActorSystem)Sys, () => Sys.Serialization.Deserialize(bytes, serializer.Identifier, manifest));
        return Assert.IsAssignableFrom<T>(back);
    }

    [Fact]
    public void Registration_burns_reports_and_answers_survive_the_default_serializer()
    {
        var status = new Recorder.StatusChanged("d1", DriveState.Ready, 0, 0, null, null, null, "blank");
        var reg = RoundTrip(new FloorProtocol.Register("ta", [new("d1", "fake:d1", status)], new Uri("http://ta/"), [new("AB", 5)]));
        Assert.Equal(("ta", "d1", DriveState.Ready, "AB"), (reg.TowerId, reg.Drives[0].Id, reg.Drives[0].Last!.State, reg.Held[0].Sha256));

        var image = new StagedImage("b", "/s/image.iso", 2048, 10, [new Mastering.Images.TrackInfo(1, Mastering.Images.TrackKind.Data, 0, 10, 0)], "AB");
        var burn = new Recorder.Burn("b", 3, image, TestActor, new RecordOptions(Verify: true), true) { Media = null };
        var assign = RoundTrip(new FloorProtocol.Assign("d1", burn, false, [new Uri("http://ta/")]));
        Assert.Equal((3, "AB", 10L, 1, true), (assign.Burn.Disc, assign.Burn.Image.ContentSha256, assign.Burn.Image.SectorCount, assign.Burn.Image.Tracks.Length, assign.Burn.Options.Verify));

        Assert.Equal(7, RoundTrip(new Recorder.DiscFailed("d1", "b", 7, "x", true, new DiscError(Duplicator.Mastering.Imapi.ImapiError.CannotWriteToMedia))).Disc);
        Assert.Equal("AB", RoundTrip(new Recorder.DiscBurned("d1", "b", 7, "AB", true)).Sha256);

        var spec = new BatchSpec("b", SourceKind.Image, ["/x.iso"], 2, new BatchOptions(true, 0, 0, true, ["d1"]));
        Assert.Equal(["d1"], RoundTrip(new Tower.Submit(spec)).Spec.Options.Drives.ToArray());
        var state = new[] { (BatchCommand)new SubmitBatch(spec, DateTimeOffset.UnixEpoch), new StartDisc("d1") }
            .Aggregate(BatchState.Empty, (s, c) => BatchLogic.Decide(s, c).Events.Aggregate(s, BatchLogic.Apply));
        var answer = RoundTrip(new Tower.BatchAnswer(state, DateTimeOffset.UnixEpoch));
        Assert.Equal("d1", answer.State!.InFlight[1]);
        Assert.Equal(DiscState.Started, answer.State.Discs[1].State);
        Assert.IsType<Tower.Submitted>(RoundTrip<Tower.SubmitReply>(new Tower.Submitted(state, true)));
        var drives = RoundTrip(new[] { new Tower.DriveStatus("d1", "u", DriveState.Ready, 0, 0, null, false, 0, null, null, null, 0, 0) { Tower = "ta" } });
        Assert.Equal("ta", drives[0].Tower);

        // The floor's view as the router sends it to the other towers: each member comes back whole.
        var viewed = RoundTrip(new FloorProtocol.View(Batch: new Tower.BatchChanged(state, DateTimeOffset.UnixEpoch)));
        Assert.Equal(("d1", DiscState.Started), (viewed.Batch!.Batch.InFlight[1], viewed.Batch.Batch.Discs[1].State));
        Assert.Equal(("ta", 0.5), RoundTrip(new FloorProtocol.View(Drive: new Tower.DriveChanged(drives[0] with { Percent = 0.5 }))).Drive!.Drive is var d ? (d.Tower, d.Percent) : default);
        Assert.Equal("tc1", RoundTrip(new FloorProtocol.View(Removed: new Tower.DriveRemoved("tc1", "tower tc left the floor"))).Removed!.DriveId);
        Assert.Equal(40L, RoundTrip(new FloorProtocol.View(Progress: new Recorder.ImapiEvent("d1", "b", 2, "BlockProgress", 40, 100))).Progress!.Completed);
        Assert.Equal(["ta1", "tb1"], RoundTrip(new FloorProtocol.Registered("ta", 1, ["ta1", "tb1"])).FloorDrives.ToArray());
        // A tower's drive history, which the router gathers from every agent (the default serializer cannot read its sorted dictionary back).
        var record = new Duplicator.Actors.Drives.DriveHistory.Record("ta1", 3, 1, 0, 4096, 12.5, 0, [], DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddHours(1));
        var histories = RoundTrip(new Duplicator.Actors.Drives.DriveHistory.Histories(ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create("ta1", record)])));
        Assert.Equal((3L, 4096L, 12.5), (histories.Drives["ta1"].Good, histories.Drives["ta1"].BytesWritten, histories.Drives["ta1"].WritingSeconds));
    }
}
