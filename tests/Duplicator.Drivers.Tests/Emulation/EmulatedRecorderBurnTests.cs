using Duplicator.Drivers.Emulation;

namespace Duplicator.Drivers.Tests.Emulation;

public sealed class EmulatedRecorderBurnTests
{
    private static long Nwa(EmuDrive d)
    {
        var ti = d.InGood(Cdb.ReadTrackInfo(1, 0xFF), 48);
        Assert.Equal(0x01, ti[7] & 0x01); // NWA_V
        return Pattern.U32(ti, 12);
    }

    private static void WriteRun(EmuDrive d, long lba, int blocks, int chunk, int blockSize, List<byte> sink)
    {
        for (var done = 0; done < blocks; done += chunk)
        {
            var n = Math.Min(chunk, blocks - done);
            var data = Pattern.Blocks(lba + done, n, blockSize);
            Sense.Good(d.Out(Cdb.Write10(lba + done, n), data));
            sink.AddRange(data);
        }
    }

    [Fact]
    public void DvdPlusR_sequential_burn_closes_and_reads_back_identical()
    {
        using var d = new EmuDrive(EmulatedProfile.DvdPlusR);
        var config = d.InGood(Cdb.GetConfiguration(), 4096);
        Assert.Equal(0x001B, Pattern.U16(config, 6));
        var di = d.InGood(Cdb.ReadDiscInfo(), 34);
        Assert.Equal(0, di[2] & 0x03); // blank
        Assert.Equal(2_295_104u, Pattern.U32(di, 20));

        var ti = d.InGood(Cdb.ReadTrackInfo(1, 0xFF), 48);
        Assert.Equal(1, ti[2]);
        Assert.Equal(0x40, ti[6] & 0x40);        // blank
        Assert.Equal(0u, Pattern.U32(ti, 12));   // NWA 0
        Assert.Equal(2_295_104u, Pattern.U32(ti, 16)); // free blocks

        var written = new List<byte>();
        WriteRun(d, 0, 200, 32, 2048, written);
        Assert.Equal(200, Nwa(d));
        di = d.InGood(Cdb.ReadDiscInfo(), 34);
        Assert.Equal(1, di[2] & 0x03);           // incomplete
        Assert.Equal(1, (di[2] >> 2) & 0x03);    // last session incomplete

        Sense.Good(d.Run(Cdb.SyncCache()));
        Sense.Good(d.Run(Cdb.Close(1, 1)));
        Sense.Good(d.Run(Cdb.Close(2)));
        di = d.InGood(Cdb.ReadDiscInfo(), 34);
        Assert.Equal(1, di[2] & 0x03);           // appendable after close session
        Sense.Good(d.Run(Cdb.Close(6)));
        di = d.InGood(Cdb.ReadDiscInfo(), 34);
        Assert.Equal(2, di[2] & 0x03);           // complete
        Assert.Equal(3, (di[2] >> 2) & 0x03);

        var back = d.InGood(Cdb.Read10(0, 200), 200 * 2048);
        Assert.Equal(written.ToArray(), back);
        Assert.Equal(written.ToArray(), d.InGood(Cdb.Read12(0, 200), 200 * 2048));
        var cap = d.InGood(Cdb.ReadCapacity(), 8);
        Assert.Equal(199u, Pattern.U32(cap, 0));
        Assert.Equal(2048u, Pattern.U32(cap, 4));

        var toc = d.InGood(Cdb.ReadToc(0), 804);
        Assert.Equal(18, Pattern.U16(toc, 0));  // 2 + 2 descriptors of 8
        Assert.Equal(0x14, toc[5]);              // ADR 1, data track
        Assert.Equal(0xAA, toc[14]);
        Assert.Equal(200u, Pattern.U32(toc, 16));

        var image = Path.Combine(d.Root, "bay1", "disc-1.iso");
        Assert.Equal(image, d.Recorder.CurrentImagePath);
        Assert.Equal(written.ToArray(), File.ReadAllBytes(image));
        var json = File.ReadAllText(Path.Combine(d.Root, "bay1", "disc-1.json"));
        Assert.Contains("\"status\": \"complete\"", json);
        Assert.Contains("\"length\": 200", json);
    }

    [Fact]
    public void Discarding_drive_enforces_the_NWA_and_counts_bytes_but_stores_no_image_and_reads_zeros()
    {
        using var d = new EmuDrive(EmulatedProfile.DvdPlusR, discard: true);
        var written = new List<byte>();
        WriteRun(d, 0, 100, 32, 2048, written);
        Assert.Equal(100, Nwa(d));
        Assert.Equal(100L * 2048, d.Recorder.BytesWritten);
        Sense.Is(d.Out(Cdb.Write10(0, 1), new byte[2048]), 0x05, 0x21, 0x02); // still strict: not at the NWA
        Sense.Good(d.Run(Cdb.SyncCache()));
        Sense.Good(d.Run(Cdb.Close(1, 1)));
        Sense.Good(d.Run(Cdb.Close(6)));

        Assert.Null(d.Recorder.CurrentImagePath);
        Assert.False(File.Exists(Path.Combine(d.Root, "bay1", "disc-1.iso")));
        Assert.Equal(new byte[100 * 2048], d.InGood(Cdb.Read10(0, 100), 100 * 2048));
        Assert.True(EmulatedRecorderUrl.Parse("emulated:dvd+r?discard=true").Discard);
        Assert.False(EmulatedRecorderUrl.Parse("emulated:dvd+r").Discard);
    }

    [Fact]
    public void CdR_TAO_data_track_burns_at_the_NWA_and_reads_back_through_READ_and_READ_CD()
    {
        using var d = new EmuDrive(EmulatedProfile.CdR);
        Sense.Good(d.Out(Cdb.ModeSelect(60), Cdb.WriteParameters(writeType: 1, dataBlockType: 8, trackMode: 4, multiSession: 3)));
        var page = d.InGood(Cdb.ModeSense(0x05), 256);
        Assert.Equal(0x05, page[8]);
        Assert.Equal(0x01, page[10] & 0x0F);     // TAO kept
        Assert.Equal(0xC4, page[11]);            // multi-session 11b, track mode 4
        Assert.Equal(8, page[12]);

        var written = new List<byte>();
        WriteRun(d, Nwa(d), 300, 27, 2048, written);
        Sense.Good(d.Run(Cdb.SyncCache()));
        Sense.Good(d.Run(Cdb.Close(1, 1)));
        Sense.Good(d.Run(Cdb.Close(2)));

        var di = d.InGood(Cdb.ReadDiscInfo(), 34);
        Assert.Equal(1, di[2] & 0x03);           // appendable: multi-session 11b
        Assert.Equal(2, di[4]);                  // one closed + the empty session
        Assert.Equal(300 + 11_400, Nwa(d));      // next session after lead-out/lead-in/pregap

        Assert.Equal(written.ToArray(), d.InGood(Cdb.Read10(0, 300), 300 * 2048));
        Assert.Equal(written.ToArray()[..(10 * 2048)], d.InGood(Cdb.ReadCd(0, 10, expectedType: 2), 10 * 2048));
        var ti = d.InGood(Cdb.ReadTrackInfo(1, 1), 48);
        Assert.Equal(300u, Pattern.U32(ti, 24)); // track size
        Assert.Equal(0, ti[7] & 0x01);           // closed: NWA not valid
        var toc = d.InGood(Cdb.ReadToc(0, msf: true), 804);
        Assert.Equal([0, 0, 2, 0], toc[8..12]);  // track 1 at 00:02:00
        Assert.Equal([0, 0, 6, 0], toc[16..20]); // lead-out at 300 + 150 = 00:06:00
        var session = d.InGood(Cdb.ReadToc(1), 12);
        Assert.Equal(1, session[3]);
    }

    [Fact]
    public void Cd_audio_TAO_tracks_are_two_seconds_apart_and_read_back_through_READ_CD()
    {
        using var d = new EmuDrive(EmulatedProfile.CdR);
        Sense.Good(d.Out(Cdb.ModeSelect(60), Cdb.WriteParameters(writeType: 1, dataBlockType: 0, trackMode: 0)));
        var t1 = new List<byte>();
        WriteRun(d, 0, 100, 25, 2352, t1);
        Sense.Good(d.Run(Cdb.Close(1, 1)));
        Assert.Equal(250, Nwa(d));
        var t2 = new List<byte>();
        WriteRun(d, 250, 40, 20, 2352, t2);
        Sense.Good(d.Run(Cdb.Close(1, 2)));
        Sense.Good(d.Run(Cdb.Close(2)));

        Assert.Equal(t1.ToArray(), d.InGood(Cdb.ReadCd(0, 100, expectedType: 1), 100 * 2352));
        Assert.Equal(t2.ToArray(), d.InGood(Cdb.ReadCd(250, 40, expectedType: 1), 40 * 2352));
        var toc = d.InGood(Cdb.ReadToc(0), 804);
        Assert.Equal(0x10, toc[5]);              // audio control
        Assert.Equal(250u, Pattern.U32(toc, 16));
        Assert.Equal(290u, Pattern.U32(toc, 24)); // lead-out
        Assert.Equal(2, d.InGood(Cdb.ReadDiscInfo(), 34)[2] & 0x03); // finalized: multi-session 00b
        Assert.True(File.Exists(Path.Combine(d.Root, "bay1", "disc-1.bin")));
    }

    internal static byte[] CueEntry(byte ctlAdr, byte tno, byte index, byte form, long lba)
    {
        var x = lba + 150;
        return [ctlAdr, tno, index, form, 0, (byte)(x / 4500), (byte)(x / 75 % 60), (byte)(x % 75)];
    }

    /// <summary>Two audio tracks: 1 at LBA 0 (300 blocks), 2 with a 150-block pregap at 300, INDEX 01 at 450, lead-out 750.</summary>
    internal static byte[] TwoTrackCue() =>
    [
        .. CueEntry(0x01, 0x00, 0x00, 0x01, -150),
        .. CueEntry(0x01, 0x01, 0x00, 0x00, -150),
        .. CueEntry(0x01, 0x01, 0x01, 0x00, 0),
        .. CueEntry(0x01, 0x02, 0x00, 0x00, 300),
        .. CueEntry(0x01, 0x02, 0x01, 0x00, 450),
        .. CueEntry(0x01, 0xAA, 0x01, 0x01, 750),
    ];

    [Fact]
    public void Cd_audio_DAO_writes_from_minus_150_after_the_cue_sheet_and_reads_back_through_READ_CD()
    {
        using var d = new EmuDrive(EmulatedProfile.CdR);
        Sense.Good(d.Out(Cdb.ModeSelect(60), Cdb.WriteParameters(writeType: 2, dataBlockType: 0, trackMode: 0)));
        var cue = TwoTrackCue();
        Sense.Good(d.Out(Cdb.SendCueSheet(cue.Length), cue));
        Sense.Is(d.Out(Cdb.Write10(0, 1), new byte[2352]), 0x05, 0x21, 0x02); // must start at -150

        var all = new List<byte>();
        WriteRun(d, -150, 900, 64, 2352, all);
        Sense.Is(d.Out(Cdb.Write10(750, 1), new byte[2352]), 0x05, 0x21, 0x00); // past the lead-out
        Sense.Good(d.Run(Cdb.SyncCache()));

        var di = d.InGood(Cdb.ReadDiscInfo(), 34);
        Assert.Equal(2, di[2] & 0x03);
        var program = all.ToArray()[(150 * 2352)..];
        Assert.Equal(program[..(300 * 2352)], d.InGood(Cdb.ReadCd(0, 300, expectedType: 1), 300 * 2352));
        Assert.Equal(program[(450 * 2352)..], d.InGood(Cdb.ReadCd(450, 300), 300 * 2352));
        var toc = d.InGood(Cdb.ReadToc(0), 804);
        Assert.Equal(2, toc[3]);
        Assert.Equal(0u, Pattern.U32(toc, 8));
        Assert.Equal(450u, Pattern.U32(toc, 16));
        Assert.Equal(750u, Pattern.U32(toc, 24));
        // The image holds LBA 0..749; the pregap before track 1 is not addressable and not stored.
        Assert.Equal(program, File.ReadAllBytes(Path.Combine(d.Root, "bay1", "disc-1.bin")));
    }

    [Fact]
    public void BdR_tracks_start_on_32_block_boundaries_and_finalize()
    {
        using var d = new EmuDrive(EmulatedProfile.BdR);
        Assert.Equal(0x0041, Pattern.U16(d.InGood(Cdb.GetConfiguration(), 4096), 6));
        var t1 = new List<byte>();
        WriteRun(d, 0, 40, 40, 2048, t1);
        Sense.Good(d.Run(Cdb.Close(1, 1)));
        Assert.Equal(64, Nwa(d));
        var t2 = new List<byte>();
        WriteRun(d, 64, 32, 16, 2048, t2);
        Sense.Good(d.Run(Cdb.Close(2)));
        Sense.Good(d.Run(Cdb.Close(6)));
        Assert.Equal(2, d.InGood(Cdb.ReadDiscInfo(), 34)[2] & 0x03);
        Assert.Equal(t1.ToArray(), d.InGood(Cdb.Read10(0, 40), 40 * 2048));
        Assert.Equal(t2.ToArray(), d.InGood(Cdb.Read10(64, 32), 32 * 2048));
        Sense.Is(d.In(Cdb.Read10(40, 1), 2048).Result, 0x05, 0x21, 0x00); // gap between tracks
    }

    [Fact]
    public void CdRw_closed_disc_refuses_writes_until_BLANK_then_burns()
    {
        using var d = new EmuDrive(EmulatedProfile.CdRw, MediumState.Closed);
        Assert.Equal(0x10, d.InGood(Cdb.ReadDiscInfo(), 34)[2] & 0x10); // erasable
        Sense.Is(d.Out(Cdb.Write10(0, 1), new byte[2048]), 0x05, 0x30, 0x05);
        Sense.Good(d.Run(Cdb.Blank(1)));
        Assert.Equal(0, d.InGood(Cdb.ReadDiscInfo(), 34)[2] & 0x03);
        var data = new List<byte>();
        WriteRun(d, Nwa(d), 50, 50, 2048, data);
        Sense.Good(d.Run(Cdb.Close(2)));
        Assert.Equal(data.ToArray(), d.InGood(Cdb.Read10(0, 50), 50 * 2048));
        Assert.EndsWith("disc-2.iso", d.Recorder.CurrentImagePath);
    }

    [Fact]
    public void DvdRw_closed_disc_refuses_writes_until_BLANK_then_burns_as_profile_0014h()
    {
        using var d = new EmuDrive(EmulatedProfile.DvdMinusRwSequential, MediumState.Closed);
        Assert.Equal(0x0014, Pattern.U16(d.InGood(Cdb.GetConfiguration(1), 8), 6));
        Assert.Equal(0x10, d.InGood(Cdb.ReadDiscInfo(), 34)[2] & 0x10); // erasable
        Sense.Is(d.Out(Cdb.Write10(1024, 16), new byte[16 * 2048]), 0x05, 0x30, 0x05);
        Sense.Good(d.Run(Cdb.Blank(0)));
        Assert.Equal(0x0014, Pattern.U16(d.InGood(Cdb.GetConfiguration(1), 8), 6)); // still a DVD-RW, now blank
        Assert.Equal(0, d.InGood(Cdb.ReadDiscInfo(), 34)[2] & 0x03);
        Sense.Good(d.Out(Cdb.ModeSelect(60), Cdb.WriteParameters(writeType: 1, dataBlockType: 8, trackMode: 5)));
        var data = new List<byte>();
        WriteRun(d, Nwa(d), 48, 16, 2048, data);
        Sense.Good(d.Run(Cdb.SyncCache()));
        Sense.Good(d.Run(Cdb.Close(1, 1)));
        Sense.Good(d.Run(Cdb.Close(2)));
        Assert.Equal(2, d.InGood(Cdb.ReadDiscInfo(), 34)[2] & 0x03); // finalized, as DVD-R without multi-session
        Assert.Equal(data.ToArray(), d.InGood(Cdb.Read10(0, 48), 48 * 2048));
    }

    [Fact]
    public void DvdPlusRw_needs_FORMAT_UNIT_then_writes_anywhere()
    {
        using var d = new EmuDrive(EmulatedProfile.DvdPlusRw);
        Sense.Is(d.Out(Cdb.Write10(0, 1), new byte[2048]), 0x05, 0x30, 0x10);
        Assert.Equal(0x40, d.InGood(Cdb.ReadTrackInfo(1, 0xFF), 48)[6] & 0x40); // blank before formatting
        var caps = d.InGood([0x23, 0, 0, 0, 0, 0, 0, 0, 0xFC, 0], 252);
        Assert.Equal(16, caps[3]);                                             // two 8-byte descriptors
        Assert.Equal(0x01, caps[8] & 0x03);                                    // unformatted
        Assert.Equal(0x26, caps[16] >> 2);                                     // DVD+RW format type
        Assert.Equal(2_295_104u, Pattern.U32(caps, 12));
        Sense.Good(d.Out(Cdb.FormatUnit(), Cdb.FormatList(0xFFFFFFFF)));
        var ti = d.InGood(Cdb.ReadTrackInfo(1, 0xFF), 48);
        Assert.Equal(1, ti[2]);
        Assert.Equal(2_295_104u, Pattern.U32(ti, 24));  // one track over the formatted size
        var info = d.InGood(Cdb.ReadDiscInfo(), 34);
        Assert.Equal(2, info[2] & 0x03);
        Assert.Equal(3, info[7] & 0x03);                                       // BG format: complete
        Assert.Equal(0x02, d.InGood([0x23, 0, 0, 0, 0, 0, 0, 0, 0xFC, 0], 252)[8] & 0x03); // formatted
        var block = Pattern.Blocks(5000, 4, 2048);
        Sense.Good(d.Out(Cdb.Write10(5000, 4), block));
        Assert.Equal(block, d.InGood(Cdb.Read10(5000, 4), 4 * 2048));
        Assert.Equal(new byte[2048], d.InGood(Cdb.Read10(10, 1), 2048)); // formatted, never written: zeros
        Sense.Is(d.Out(Cdb.Write10(2_295_104, 1), new byte[2048]), 0x05, 0x21, 0x00);
    }

    [Fact]
    public void Reserved_track_takes_writes_up_to_its_size_and_the_next_track_follows_it()
    {
        using var d = new EmuDrive(EmulatedProfile.DvdMinusR);
        Sense.Good(d.Run(Cdb.ReserveTrack(100)));
        var ti = d.InGood(Cdb.ReadTrackInfo(1, 1), 48);
        Assert.Equal(100u, Pattern.U32(ti, 24));
        Assert.Equal(0x80, ti[6] & 0x80);         // RT: reserved track
        Sense.Good(d.Out(Cdb.Write10(0, 96), Pattern.Blocks(0, 96, 2048)));
        Sense.Is(d.Out(Cdb.Write10(96, 8), new byte[8 * 2048]), 0x05, 0x21, 0x02);
        Sense.Good(d.Run(Cdb.Close(1, 1)));
        Assert.Equal(112, Nwa(d)); // 100 rounded up to the 16-block ECC boundary
        Assert.Equal(new byte[4 * 2048], d.InGood(Cdb.Read10(96, 4), 4 * 2048)); // padded by the drive on close
    }

    [Fact]
    public void DvdMinusR_DAO_reserved_track_written_out_completes_the_disc_at_SYNCHRONIZE_CACHE()
    {
        using var d = new EmuDrive(EmulatedProfile.DvdMinusR);
        Sense.Good(d.Out(Cdb.ModeSelect(60), Cdb.WriteParameters(writeType: 2, dataBlockType: 8, trackMode: 5)));
        Sense.Good(d.Run(Cdb.ReserveTrack(64)));
        Sense.Good(d.Out(Cdb.Write10(0, 64), Pattern.Blocks(0, 64, 2048)));
        Sense.Good(d.Run(Cdb.SyncCache()));
        Assert.Equal(2, d.InGood(Cdb.ReadDiscInfo(), 34)[2] & 0x03);
        Assert.Equal(Pattern.Blocks(0, 64, 2048), d.InGood(Cdb.Read10(0, 64), 64 * 2048));
    }

    [Fact]
    public void Test_write_burn_is_accepted_but_leaves_the_disc_blank()
    {
        using var d = new EmuDrive(EmulatedProfile.CdR);
        Sense.Good(d.Out(Cdb.ModeSelect(60), Cdb.WriteParameters(1, 8, testWrite: true)));
        Sense.Good(d.Out(Cdb.Write10(0, 10), Pattern.Blocks(0, 10, 2048)));
        Assert.Equal(10, Nwa(d));
        Sense.Good(d.Run(Cdb.Close(2)));
        Assert.Equal(0, d.InGood(Cdb.ReadDiscInfo(), 34)[2] & 0x03);
        Assert.Equal(0, Nwa(d));
        Assert.Equal(10 * 2048, d.Recorder.BytesWritten);
        Assert.Null(d.Recorder.CurrentImagePath);
    }

    [Fact]
    public void Eject_and_load_from_the_host_bring_the_same_disc_back()
    {
        using var d = new EmuDrive(EmulatedProfile.DvdPlusR);
        Sense.Good(d.Out(Cdb.Write10(0, 16), Pattern.Blocks(0, 16, 2048)));
        Sense.Good(d.Run(Cdb.PreventAllow(true)));
        Sense.Is(d.Run(Cdb.StartStop(loej: true, start: false)), 0x05, 0x53, 0x02);
        Sense.Good(d.Run(Cdb.PreventAllow(false)));
        Sense.Good(d.Run(Cdb.StartStop(loej: true, start: false)));
        Sense.Is(d.Run(Cdb.TestUnitReady()), 0x02, 0x3A, 0x00);
        var ev = d.InGood(Cdb.GetEventStatus(), 8);
        Assert.Equal(3, ev[4] & 0x0F);           // media removal
        Assert.Equal(0x01, ev[5]);               // tray open, no medium
        Sense.Good(d.Run(Cdb.StartStop(loej: true, start: true)));
        Sense.Good(d.Run(Cdb.TestUnitReady()));
        Assert.Equal(16, Nwa(d));
        Assert.Equal(Pattern.Blocks(0, 16, 2048), d.InGood(Cdb.Read10(0, 16), 16 * 2048));
    }
}

public sealed class EmulatedRecorderCueSheetTests
{
    [Fact]
    public void Cue_sheet_track_numbers_are_binary_so_track_ten_is_0Ah_and_MCN_entries_may_lead()
    {
        using var d = new EmuDrive(EmulatedProfile.CdR);
        Sense.Good(d.Out(Cdb.ModeSelect(60), Cdb.WriteParameters(2, 0, 0)));
        var cue = new List<byte>();
        cue.AddRange([0x02, (byte)'0', (byte)'1', (byte)'2', (byte)'3', (byte)'4', (byte)'5', (byte)'6']); // MCN before the lead-in
        cue.AddRange([0x02, (byte)'7', (byte)'8', (byte)'9', (byte)'0', (byte)'1', (byte)'2', 0x00]);
        cue.AddRange(EmulatedRecorderBurnTests.CueEntry(0x01, 0x00, 0x00, 0x01, -150));
        cue.AddRange(EmulatedRecorderBurnTests.CueEntry(0x01, 0x01, 0x00, 0x00, -150));
        for (var t = 1; t <= 10; t++)
        {
            cue.AddRange(EmulatedRecorderBurnTests.CueEntry(0x01, (byte)t, 0x01, 0x00, (t - 1) * 300));
        }

        cue.AddRange(EmulatedRecorderBurnTests.CueEntry(0x01, 0xAA, 0x01, 0x01, 3000));
        Sense.Good(d.Out(Cdb.SendCueSheet(cue.Count), [.. cue]));
        var ti = d.InGood(Cdb.ReadTrackInfo(1, 10), 48);
        Assert.Equal(10, ti[2]);
        Assert.Equal(2700u, Pattern.U32(ti, 8));
        Assert.Equal(300u, Pattern.U32(ti, 24));
        var di = d.InGood(Cdb.ReadDiscInfo(), 34);
        Assert.Equal((1, 10), (di[5], di[6]));   // first and last track of the (incomplete) session
    }
}
