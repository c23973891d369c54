using System.Buffers.Binary;
using System.Security.Cryptography;
using Duplicator.Drivers.Burning;
using Duplicator.Drivers.Emulation;
using Duplicator.Drivers.Imapi;
using Duplicator.Drivers.Mmc;
using Duplicator.Drivers.Reading;
using Duplicator.Drivers.Transport;
using Duplicator.Mastering.Audio;
using Duplicator.Mastering.Data;
using Duplicator.Mastering.Images;
using Duplicator.Mastering.Imapi;
using Duplicator.Mastering.Media;

namespace Duplicator.Drivers.Tests.Reading;

/// <summary>Reading data masters from the strict emulated drive: burned by the tower, or loaded with load=.</summary>
public sealed class DataDiscReaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dup-read-").FullName;
    private readonly DataImage _image;
    private readonly byte[] _staged;

    public DataDiscReaderTests()
    {
        var src = Directory.CreateDirectory(Path.Combine(_dir, "src")).FullName;
        var bytes = new byte[900_001];
        new Random(13).NextBytes(bytes);
        File.WriteAllBytes(Path.Combine(src, "data.bin"), bytes);
        Directory.CreateDirectory(Path.Combine(src, "deep", "er"));
        File.WriteAllText(Path.Combine(src, "deep", "er", "Ünïcode name.txt"), "a master's file");
        var s = new JolietStaging(MediaKind.Cd74);
        s.AddData(src, false);
        _image = s.Build();
        _staged = new byte[_image.SectorCount * 2048];
        _image.Read(0, _staged);
    }

    public void Dispose() => Directory.Delete(_dir, true);

    private sealed class NoEvents : IDiscMasterProgressEvents;

    private EmulatedRecorder Drive(string profile, string name, string extra = "") =>
        EmulatedRecorder.FromUrl($"emulated:{profile}?dir={Uri.EscapeDataString(Path.Combine(_dir, "discs"))}&name={name}{extra}");

    private string Out(string name) => Path.Combine(_dir, "out", name);

    /// <summary>Burns the staged image on a fresh drive named <paramref name="name"/>, returns the emulator's disc file (its sidecar written).</summary>
    private string BurnedDisc(string profile, string name)
    {
        string path;
        using (var emu = Drive(profile, name))
        using (var drive = new MmcDevice(emu))
        {
            DataDiscWriter.Burn(drive, _image, new RecordOptions(), new NoEvents(), CancellationToken.None);
            path = emu.CurrentImagePath!;
        }

        Assert.True(File.Exists(Path.ChangeExtension(path, ".json")));
        return path;
    }

    [Theory]
    [InlineData("dvd+r")]
    [InlineData("bd-r")]
    [InlineData("cd-r")]
    [InlineData("dvd-r")]
    [InlineData("dvd-rw")]
    public void A_burned_disc_reads_back_into_an_image_equal_to_the_staged_one(string profile)
    {
        using var emu = Drive(profile, "bay1");
        using var drive = new MmcDevice(emu);
        DataDiscWriter.Burn(drive, _image, new RecordOptions(), new NoEvents(), CancellationToken.None);

        long last = 0;
        var result = DataDiscReader.ReadTo(drive, Out("master.iso"), progress: (done, all) => last = done);

        Assert.Equal(_image.SectorCount, result.Layout.Sectors);
        Assert.Equal(0, result.Layout.StartLba);
        Assert.Equal(_image.SectorCount, last);
        Assert.True(File.ReadAllBytes(result.Path).AsSpan().SequenceEqual(_staged));
        Assert.Equal(SHA256.HashData(_staged), result.Sha256);
        Assert.Equal(_image.ComputeSha256(), result.Sha256);
        Assert.Equal(0, result.RetriedReads);
    }

    [Fact]
    public void A_disc_burned_on_one_emulated_drive_and_loaded_into_another_reads_back_equal()
    {
        var disc = BurnedDisc("dvd+r", "burner");
        var before = SHA256.HashData(File.ReadAllBytes(disc));

        using var master = Drive("dvd+r", "master", $"&load={Uri.EscapeDataString(disc)}");
        using var drive = new MmcDevice(master);
        Assert.Equal(DiscStatus.Complete, drive.ReadDiscInformation().Status);
        var result = DataDiscReader.ReadTo(drive, Out("copy.iso"));

        Assert.True(File.ReadAllBytes(result.Path).AsSpan().SequenceEqual(_staged));
        Assert.Equal(MmcProfile.DvdPlusR, result.Layout.Profile);
        Assert.Equal(before, SHA256.HashData(File.ReadAllBytes(disc))); // the loaded file is read, never written
        Assert.Null(master.CurrentImagePath);                           // a master is not a disc this drive burned
    }

    [Fact]
    public void A_plain_iso_file_loaded_as_a_cd_master_reads_back_equal()
    {
        var iso = Path.Combine(_dir, "plain.iso");
        File.WriteAllBytes(iso, _staged);
        using var master = Drive("cd-r", "cdmaster", $"&load={Uri.EscapeDataString(iso)}");
        using var drive = new MmcDevice(master);
        var result = DataDiscReader.ReadTo(drive, Out("cd.iso"));
        Assert.True(File.ReadAllBytes(result.Path).AsSpan().SequenceEqual(_staged));
        Assert.Equal(MmcProfile.CdR, result.Layout.Profile);
    }

    [Fact]
    public void Unreadable_sectors_fail_the_read_naming_every_range_after_the_bounded_attempts_and_nothing_is_kept()
    {
        var disc = BurnedDisc("dvd+r", "burner");
        using var master = Drive("dvd+r", "master", $"&load={Uri.EscapeDataString(disc)}&unreadable=40-43&unreadable=100,250-250");
        var counting = new ScriptedTransport(master);
        using var drive = new MmcDevice(counting);

        var e = Assert.Throws<ImapiException>(() => DataDiscReader.ReadTo(drive, Out("bad.iso"), new DataDiscReadOptions(Attempts: 4)));

        Assert.Equal(ImapiError.SourceUnreadable, e.Code);
        Assert.Contains("6 unreadable block(s) after 4 attempt(s) each", e.Message);
        Assert.Contains("LBA 40-43, 100, 250;", e.Message);
        foreach (var lba in new long[] { 40, 41, 42, 43, 100, 250 })
        {
            Assert.Equal(4, counting.SingleBlockReadsOf(lba)); // every attempt was made, and no more
        }

        Assert.Equal((1, 1), (counting.SingleBlockReadsOf(39), counting.SingleBlockReadsOf(44))); // good blocks of a bad chunk: read once each
        Assert.Equal(0, counting.SingleBlockReadsOf(5));                                           // a good chunk is read whole
        Assert.False(File.Exists(Out("bad.iso")));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_dir, "out")));  // no temporary file left either
        Assert.DoesNotContain((byte)0x25, counting.Opcodes);                // READ CAPACITY never asked
    }

    [Fact]
    public void A_sector_that_reads_on_a_second_attempt_is_kept_and_counted_as_retried()
    {
        using var emu = Drive("dvd+r", "bay1");
        using var setup = new MmcDevice(emu);
        DataDiscWriter.Burn(setup, _image, new RecordOptions(), new NoEvents(), CancellationToken.None);
        var flaky = new ScriptedTransport(emu) { FailReadsOf = 77, FailuresLeft = 2 };
        using var drive = new MmcDevice(flaky);

        var result = DataDiscReader.ReadTo(drive, Out("flaky.iso"), new DataDiscReadOptions(Attempts: 3));

        Assert.Equal(1, result.RetriedReads);
        Assert.True(File.ReadAllBytes(result.Path).AsSpan().SequenceEqual(_staged));
    }

    [Fact]
    public void The_recorded_size_comes_from_the_track_information_even_when_READ_CAPACITY_lies()
    {
        using var emu = Drive("cd-r", "bay1");
        using var setup = new MmcDevice(emu);
        DataDiscWriter.Burn(setup, _image, new RecordOptions(), new NoEvents(), CancellationToken.None);
        // What a TAO CD answers: the two run-out blocks after the track counted as if they were data.
        var lying = new ScriptedTransport(emu) { CapacityLastLba = _image.SectorCount + 1 };
        using var drive = new MmcDevice(lying);
        Assert.Equal(_image.SectorCount + 1, drive.ReadCapacity().LastLba);

        var result = DataDiscReader.ReadTo(drive, Out("tao.iso"));
        Assert.Equal(_image.SectorCount, result.Layout.Sectors);
        Assert.True(File.ReadAllBytes(result.Path).AsSpan().SequenceEqual(_staged));
    }

    /// <summary>Writes one track of <paramref name="blocks"/> pattern blocks at the NWA and closes it and its session (DVD+R: appendable).</summary>
    private static byte[] Session(MmcDevice drive, int blocks, int seed)
    {
        var track = drive.ReadTrackInformation();
        var data = new byte[blocks * 2048];
        new Random(seed).NextBytes(data);
        for (int at = 0; at < blocks; at += 32)
            drive.Write10(track.NextWritable + at, 2048, data.AsSpan(at * 2048, Math.Min(32, blocks - at) * 2048));
        drive.SynchronizeCache();
        drive.CloseTrackSession(1, (ushort)track.Track);
        drive.CloseTrackSession(2);
        return data;
    }

    [Fact]
    public void An_appendable_two_session_DVD_plus_R_reads_both_tracks_and_skips_the_invisible_one()
    {
        using var emu = Drive("dvd+r", "bay1");
        using var drive = new MmcDevice(emu);
        var first = Session(drive, 64, 1);   // 64 blocks: the next track starts on the ECC block right after
        var second = Session(drive, 40, 2);
        var info = drive.ReadDiscInformation();
        Assert.Equal((DiscStatus.Incomplete, 3), (info.Status, info.LastTrackOfLastSession)); // track 3 is the invisible one

        var result = DataDiscReader.ReadTo(drive, Out("two.iso"));

        Assert.Equal([1, 2], result.Layout.Tracks.Select(t => t.Track));
        Assert.Equal((0L, 104L), (result.Layout.StartLba, result.Layout.Sectors));
        Assert.True(File.ReadAllBytes(result.Path).AsSpan().SequenceEqual([.. first, .. second]));
    }

    [Fact]
    public void A_multi_session_cd_with_a_lead_out_and_lead_in_between_its_tracks_is_refused_naming_the_gap()
    {
        using var emu = Drive("cd-r", "bay1");
        using var drive = new MmcDevice(emu);
        drive.SetWriteParameters(writeType: 1, testWrite: false, trackMode: 4, dataBlockType: 8, multiSession: 3);
        Session(drive, 300, 1);
        Session(drive, 300, 2);
        var e = Assert.Throws<ImapiException>(() => DataDiscReader.ReadTo(drive, Out("ms.iso")));
        Assert.Equal(ImapiError.WrongDisc, e.Code);
        Assert.Contains("track 2 starts at 11700, track 1 ends at 299", e.Message);
        Assert.Empty(Directory.Exists(Path.Combine(_dir, "out")) ? Directory.EnumerateFiles(Path.Combine(_dir, "out")) : []);
    }

    [Fact]
    public void A_blank_disc_an_empty_drive_and_an_existing_output_file_are_refused_before_reading()
    {
        using var blank = new MmcDevice(Drive("dvd+r", "blank"));
        Assert.Equal(ImapiError.WrongDisc, Assert.Throws<ImapiException>(() => DataDiscReader.ReadTo(blank, Out("a.iso"))).Code);
        using var empty = new MmcDevice(Drive("none", "empty"));
        Assert.Equal(ImapiError.MediumNotPresent, Assert.ThrowsAny<ImapiException>(() => DataDiscReader.ReadTo(empty, Out("b.iso"))).Code);

        var iso = Path.Combine(_dir, "plain.iso");
        File.WriteAllBytes(iso, _staged);
        using var master = new MmcDevice(Drive("dvd+r", "m", $"&load={Uri.EscapeDataString(iso)}"));
        Directory.CreateDirectory(Path.Combine(_dir, "out"));
        File.WriteAllText(Out("taken.iso"), "mine");
        var e = Assert.Throws<ImapiException>(() => DataDiscReader.ReadTo(master, Out("taken.iso")));
        Assert.Equal(ImapiError.FileExists, e.Code);
        Assert.Equal("mine", File.ReadAllText(Out("taken.iso")));
        Assert.Equal(ImapiError.InvalidInput, Assert.Throws<ImapiException>(() => DataDiscReader.ReadTo(master, Out("c.iso"), new DataDiscReadOptions(Attempts: 0))).Code);
    }

    [Fact]
    public void A_cancelled_read_is_UserAbort_and_leaves_no_file()
    {
        var iso = Path.Combine(_dir, "plain.iso");
        File.WriteAllBytes(iso, _staged);
        using var master = new MmcDevice(Drive("bd-r", "m", $"&load={Uri.EscapeDataString(iso)}"));
        using var cts = new CancellationTokenSource();
        var e = Assert.Throws<ImapiException>(() => DataDiscReader.ReadTo(master, Out("c.iso"), progress: (done, _) => { if (done >= 64) cts.Cancel(); }, cancellationToken: cts.Token));
        Assert.Equal(ImapiError.UserAbort, e.Code);
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_dir, "out")));
    }

    [Fact]
    public void An_audio_cd_is_not_a_data_master()
    {
        using var emu = Drive("cd-r", "audio");
        using var drive = new MmcDevice(emu);
        var pcm = new byte[2352 * 400];
        new Random(1).NextBytes(pcm);
        using var staging = new RedbookStaging(MediaKind.Cd80, Path.Combine(_dir, "stash"));
        staging.CreateAudioTrack(400);
        staging.AddAudioTrackBlocks(pcm);
        staging.CloseAudioTrack();
        AudioDiscWriter.Burn(drive, staging.Build(), new RecordOptions(), new NoEvents(), CancellationToken.None);
        var e = Assert.Throws<ImapiException>(() => DataDiscReader.ReadTo(drive, Out("audio.iso")));
        Assert.Equal(ImapiError.MediumInvalidType, e.Code);
        Assert.Contains("track 1 is CD-DA audio", e.Message);
    }
}

/// <summary>
/// Passes commands to a drive, counting single-block READ(10)s per LBA and every opcode; can fail the first
/// reads of one LBA with 03/11/00 (a block that reads on a later try) and answer READ CAPACITY with a chosen value.
/// </summary>
internal sealed class ScriptedTransport(IScsiTransport inner) : IScsiTransport
{
    private readonly Dictionary<long, int> _singleReads = [];

    public List<byte> Opcodes { get; } = [];

    public long? FailReadsOf { get; init; }

    public int FailuresLeft { get; set; }

    public long? CapacityLastLba { get; init; }

    public string Location => inner.Location;

    public int SingleBlockReadsOf(long lba) => _singleReads.GetValueOrDefault(lba);

    public ScsiResult Execute(ReadOnlySpan<byte> cdb, DataDirection direction, Span<byte> data, TimeSpan timeout)
    {
        Opcodes.Add(cdb[0]);
        if (cdb[0] == 0x28)
        {
            long lba = BinaryPrimitives.ReadUInt32BigEndian(cdb[2..]);
            int blocks = BinaryPrimitives.ReadUInt16BigEndian(cdb[7..]);
            if (blocks == 1) _singleReads[lba] = SingleBlockReadsOf(lba) + 1;
            if (FailReadsOf is { } bad && bad >= lba && bad < lba + blocks && FailuresLeft > 0)
            {
                FailuresLeft--;
                return new ScsiResult(ScsiResult.CheckCondition, EmulatedSense.UnrecoveredReadError.ToArray((uint)bad), 0);
            }
        }

        if (cdb[0] == 0x25 && CapacityLastLba is { } last)
        {
            BinaryPrimitives.WriteUInt32BigEndian(data, (uint)last);
            BinaryPrimitives.WriteUInt32BigEndian(data[4..], 2048);
            return new ScsiResult(ScsiResult.Good, ReadOnlyMemory<byte>.Empty, 8);
        }

        return inner.Execute(cdb, direction, data, timeout);
    }

    public void Dispose() => inner.Dispose();
}
