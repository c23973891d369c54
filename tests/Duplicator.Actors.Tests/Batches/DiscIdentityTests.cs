using Akka.Actor;
using Duplicator.Actors.Batches;

namespace Duplicator.Actors.Tests.Batches;

/// <summary>The expectation of a verify-only batch's disc: its bounds, its persistence (absent: as before) and job sameness.</summary>
public sealed class DiscIdentityTests : IDisposable
{
    private readonly ActorSystem _sys = ActorSystem.Create("disc-identity", PersistenceConfig.InMemory());

    public void Dispose() => _sys.Dispose();

    private BatchSerializer Serializer => new((ExtendedActorSystem)_sys);

    private static BatchSpec Verify(DiscIdentity? expect) =>
        new("check", SourceKind.Verify, ["ref"], 2, new BatchOptions(false, 0, 0, true, ["v1", "v2"]) { Expect = expect });

    [Theory]
    [InlineData("INVOICES_2026", null, null)]
    [InlineData(null, "/docs/README.TXT", null)]
    [InlineData("Rechnungen 2026", "docs/Übersicht.pdf", null)] // Joliet names: any letters
    [InlineData(null, null, "expect: name a volume, a file or both")]
    [InlineData("   ", null, "expect.volume: 1 to 32 characters, not 3 (or blanks only)")]
    [InlineData("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456", null, "expect.volume: 1 to 32 characters, not 33 (or blanks only)")]
    [InlineData("A\u0001", null, "expect.volume: control characters are not allowed")]
    [InlineData(null, "/", "expect.file: a path on the disc of 1 to 64 names separated by '/', not 0")]
    [InlineData(null, "/docs/../../etc/passwd", "expect.file: '..' is not a name (a path on the disc, from its root)")]
    [InlineData(null, "C:\\Windows\\win.ini", "expect.file: a path on the disc ('/' between names) holds no control characters nor any of \\ : * ? \" < > | ;")]
    [InlineData(null, "README.TXT;1", "expect.file: a path on the disc ('/' between names) holds no control characters nor any of \\ : * ? \" < > | ;")]
    public void An_expectation_is_bounded_and_a_file_is_a_path_on_the_disc(string? volume, string? file, string? refusal) =>
        Assert.Equal(refusal, new DiscIdentity(volume, file).Refusal());

    [Fact]
    public void A_spec_without_an_expectation_persists_as_before_and_one_with_it_reads_back()
    {
        var plain = System.Text.Encoding.UTF8.GetString(Serializer.ToBinary(new BatchSubmitted(Verify(null), DateTimeOffset.UnixEpoch)));
        Assert.DoesNotContain("expect", plain, StringComparison.OrdinalIgnoreCase);
        var bytes = Serializer.ToBinary(new BatchSubmitted(Verify(new DiscIdentity("INVOICES_2026", "/README.TXT")), DateTimeOffset.UnixEpoch));
        Assert.Contains("\"expect\":{\"volumeId\":\"INVOICES_2026\",\"file\":\"/README.TXT\"}", System.Text.Encoding.UTF8.GetString(bytes));
        var back = Assert.IsType<BatchSubmitted>(Serializer.FromBinary(bytes, "bs"));
        Assert.Equal(new DiscIdentity("INVOICES_2026", "/README.TXT"), back.Spec.Options.Expect);
    }

    [Fact]
    public void The_same_job_with_another_expectation_is_another_job()
    {
        var a = Verify(new DiscIdentity("INVOICES_2026", "/README.TXT"));
        Assert.Null(BatchLogic.Difference(a, Verify(new DiscIdentity("invoices_2026 ", "README.TXT")))); // compared as the disc check compares
        Assert.Equal("expect volume 'OTHER', not volume 'INVOICES_2026', file '/README.TXT'", BatchLogic.Difference(a, Verify(new DiscIdentity("OTHER"))));
        Assert.Equal("expect nothing, not volume 'INVOICES_2026', file '/README.TXT'", BatchLogic.Difference(a, Verify(null)));
    }
}
