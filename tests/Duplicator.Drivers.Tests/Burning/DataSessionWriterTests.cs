using Duplicator.Drivers.Burning;
using Duplicator.Drivers.Emulation;
using Duplicator.Drivers.Imapi;
using Duplicator.Drivers.Mmc;
using Duplicator.Mastering.Data;
using Duplicator.Mastering.Imapi;
using Duplicator.Mastering.Media;

using static Duplicator.Drivers.Tests.Burning.SessionFixture;

namespace Duplicator.Drivers.Tests.Burning;

/// <summary>
/// Sessions appended to emulated media: the drive reports the sessions (READ DISC INFORMATION, READ TOC format 1),
/// the disc stays appendable, and xorriso and isoinfo read the last session of the burned disc file as the earlier
/// files plus the new ones.
/// </summary>
public sealed class DataSessionWriterTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dup-session-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private string Folder(string name, params (string Path, int Bytes)[] files) => SessionFixture.Folder(_dir, name, files);

    [Theory]
    [InlineData("dvd+r")]
    [InlineData("cd-r")]
    [InlineData("dvd-r")]
    [InlineData("bd-r")]
    public void Two_sessions_leave_the_disc_appendable_and_the_last_one_lists_old_and_new_files(string profile)
    {
        var one = Folder("one-" + profile, ("OLD.TXT", 5000), ("docs/a.bin", 70_000));
        var two = Folder("two-" + profile, ("NEW.TXT", 3000), ("docs/b.bin", 90_000));
        using var emu = EmulatedRecorder.FromUrl($"emulated:{profile}?dir={_dir}&name={profile.Replace("+", "p")}");
        using var drive = new MmcDevice(emu);
        var verify = new RecordOptions().WithVerification(VerificationLevel.Full);
        var (first, _) = DataSessionWriter.Append(drive, Session(one, "S1"), verify, finalize: false, new Quiet(), CancellationToken.None);
        Assert.Equal(0, first);
        Assert.Equal(DiscStatus.Incomplete, drive.ReadDiscInformation().Status); // appendable after the first session
        Assert.Equal((1, 1, 0L), drive.ReadSessionInfo());

        var (second, readBack) = DataSessionWriter.Append(drive, Session(two, "S2"), verify, finalize: false, new Quiet(), CancellationToken.None);
        Assert.NotNull(readBack); // read back in full and equal to the session's image
        Assert.True(second > first);
        Assert.Equal(DiscStatus.Incomplete, drive.ReadDiscInformation().Status); // still appendable
        var last = Duplicator.Drivers.Reading.DiscIdentityReader.FindLastSession(drive);
        Assert.Equal((second, 2), (last.SessionStart, last.Sessions));
        Assert.Equal((2, 2, second), drive.ReadSessionInfo()); // READ TOC format 1: the last session and its first track

        var disc = emu.CurrentImagePath!;
        var expected = new[] { "/NEW.TXT", "/OLD.TXT", "/docs", "/docs/a.bin", "/docs/b.bin" };
        Assert.Equal(expected, Sorted(Run("isoinfo", "-i", disc, "-T", second.ToString(), "-J", "-f")));
        var outLast = Path.Combine(_dir, "x-" + profile);
        Run("xorriso", "-abort_on", "FAILURE", "-indev", disc, "-load", "sbsector", second.ToString(), "-osirrox", "on", "-extract", "/", outLast);
        foreach (var (folder, rel) in new[] { (one, "OLD.TXT"), (one, "docs/a.bin"), (two, "NEW.TXT"), (two, "docs/b.bin") })
            Assert.True(File.ReadAllBytes(Path.Combine(folder, rel)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(outLast, rel))), $"{rel} differs in the last session");
        Assert.Equal(["/OLD.TXT", "/docs", "/docs/a.bin"], Sorted(Run("isoinfo", "-i", disc, "-T", "0", "-J", "-f"))); // the first session as it was
    }

    [Fact]
    public void A_closed_disc_and_a_medium_that_cannot_append_are_refused_before_anything_is_written()
    {
        var f = Folder("f", ("A.TXT", 10));
        using (var closed = EmulatedRecorder.FromUrl($"emulated:dvd+r?dir={_dir}&name=closed&state=closed"))
        using (var drive = new MmcDevice(closed))
        {
            var e = Assert.Throws<ImapiException>(() => DataSessionWriter.Append(drive, Session(f, "X"), new RecordOptions(), false, new Quiet(), CancellationToken.None));
            Assert.Equal(ImapiError.WrongDisc, e.Code);
            Assert.Contains("is closed (finalized", e.Message);
            Assert.Equal(0, closed.BytesWritten);
        }
        using (var rw = EmulatedRecorder.FromUrl($"emulated:dvd+rw?dir={_dir}&name=rw"))
        using (var drive = new MmcDevice(rw))
        {
            var e = Assert.Throws<ImapiException>(() => DataSessionWriter.Append(drive, Session(f, "X"), new RecordOptions(), false, new Quiet(), CancellationToken.None));
            Assert.Equal(ImapiError.MediumInvalidType, e.Code);
            Assert.Contains("a DVD+RW cannot take another session", e.Message);
        }
    }

    [Fact]
    public void A_session_written_with_finalize_closes_the_disc()
    {
        using var emu = EmulatedRecorder.FromUrl($"emulated:dvd+r?dir={_dir}&name=fin");
        using var drive = new MmcDevice(emu);
        DataSessionWriter.Append(drive, Session(Folder("a", ("A.TXT", 10)), "A"), new RecordOptions(), finalize: true, new Quiet(), CancellationToken.None);
        Assert.Equal(DiscStatus.Complete, drive.ReadDiscInformation().Status);
        Assert.Contains("is closed", Assert.Throws<ImapiException>(() => DataSessionWriter.Append(drive, Session(Folder("b", ("B.TXT", 10)), "B"), new RecordOptions(), false, new Quiet(), CancellationToken.None)).Message);
    }

    [Fact]
    public void An_append_expecting_another_volume_or_a_missing_file_is_refused_before_anything_is_written()
    {
        using var emu = EmulatedRecorder.FromUrl($"emulated:dvd+r?dir={_dir}&name=exp");
        using var drive = new MmcDevice(emu);
        var none = new Quiet();
        Assert.Contains("is blank, the job expects a disc with volume ID 'INVOICES_2026' to append to",
            Assert.Throws<ImapiException>(() => DataSessionWriter.Append(drive, Session(Folder("z", ("Z.TXT", 10)), "Z"), new RecordOptions(), false, none, CancellationToken.None, "INVOICES_2026")).Message);
        Assert.Equal(0, emu.BytesWritten);
        DataSessionWriter.Append(drive, Session(Folder("a", ("README.TXT", 10)), "INVOICES_2026"), new RecordOptions(), false, none, CancellationToken.None);
        long written = emu.BytesWritten;

        var e = Assert.Throws<ImapiException>(() => DataSessionWriter.Append(drive, Session(Folder("b", ("B.TXT", 10)), "X"), new RecordOptions(), false, none, CancellationToken.None, "OTHER_2025"));
        Assert.Equal(ImapiError.WrongDisc, e.Code);
        Assert.Equal($"{drive.Location}: the disc's volume ID is 'INVOICES_2026', the job wants 'OTHER_2025'; nothing was written", e.Message);
        Assert.Contains("has no file 'MISSING.TXT'", Assert.Throws<ImapiException>(() =>
            DataSessionWriter.Append(drive, Session(Folder("c", ("C.TXT", 10)), "X"), new RecordOptions(), false, none, CancellationToken.None, "invoices_2026", "MISSING.TXT")).Message);
        Assert.Equal(written, emu.BytesWritten); // refused before any write

        var (start, _) = DataSessionWriter.Append(drive, Session(Folder("d", ("D.TXT", 10)), "INVOICES_2026"), new RecordOptions(), false, none, CancellationToken.None, "invoices_2026", "/README.TXT");
        Assert.True(start > 0);
        Assert.Equal(["/D.TXT", "/README.TXT"], Sorted(Run("isoinfo", "-i", emu.CurrentImagePath!, "-T", start.ToString(), "-J", "-f")));
    }
}
