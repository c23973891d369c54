using Duplicator.Drivers.Emulation;
using Duplicator.Drivers.Transport;
using Duplicator.Mastering.Imapi;

namespace Duplicator.Drivers.Tests.Emulation;

/// <summary>Faults armed from the <c>emulated:</c> URL, seen through hand-written MMC command blocks on a fake clock.</summary>
public sealed class EmulatedRecorderUrlFaultTests
{
    private const double Dvd1x = EmulatedProfiles.Dvd1x;
    private const int Block = 2048;

    /// <summary>WRITE(10)s of 32 blocks from <paramref name="lba"/>, each asserted GOOD; returns the commands sent.</summary>
    private static int WriteRange(EmuDrive d, long lba, int blocks)
    {
        var commands = 0;
        for (var at = lba; at < lba + blocks; at += 32)
        {
            var n = (int)Math.Min(32, lba + blocks - at);
            Sense.Good(d.Out(Cdb.Write10(at, n), new byte[n * Block]));
            commands++;
        }

        return commands;
    }

    private static int ReadRange(EmuDrive d, long lba, int blocks)
    {
        var commands = 0;
        for (var at = lba; at < lba + blocks; at += 32)
        {
            var n = (int)Math.Min(32, lba + blocks - at);
            Assert.Equal(n * Block, d.InGood(Cdb.Read10(at, n), n * Block).Length);
            commands++;
        }

        return commands;
    }

    private static TimeSpan Timed(EmuDrive d, Action action)
    {
        var before = d.Clock.Elapsed;
        action();
        return d.Clock.Elapsed - before;
    }

    // The model's time against the arithmetic, to 0.1% (TimeSpan rounds every sleep to 100 ns ticks).
    private static void Took(double expectedSeconds, TimeSpan actual) =>
        Assert.InRange(actual.TotalSeconds, expectedSeconds * 0.999, expectedSeconds * 1.001);

    [Fact]
    public void Fail_write_at_fails_the_WRITE_covering_that_LBA_with_03_0C_00_naming_the_LBA_and_keeps_the_NWA()
    {
        using var d = EmuDrive.FromUrl("dvd+r?fail-write-at=40");
        WriteRange(d, 0, 32);
        var r = d.Out(Cdb.Write10(32, 16), new byte[16 * Block]);
        Sense.Is(r, 0x03, 0x0C, 0x00);
        Assert.Equal(40u, Sense.Information(r));
        Assert.Equal(40u, EmulatedSense.ReadInformation(r.Sense.Span));                 // the emulator's own decoder agrees
        Assert.Null(EmulatedSense.ReadInformation(EmulatedSense.WriteError.ToArray()));  // without an LBA, VALID stays clear
        Assert.Equal(32u, Pattern.U32(d.InGood(Cdb.ReadTrackInfo(1, 0xFF), 48), 12)); // NWA unchanged
        var again = d.Out(Cdb.Write12(32, 16), new byte[16 * Block]);                    // WRITE(12) too, every time
        Sense.Is(again, 0x03, 0x0C, 0x00);
        Assert.Equal(40u, Sense.Information(again));
    }

    [Fact]
    public void Several_fail_write_at_report_the_first_block_in_error_of_a_WRITE()
    {
        using var d = EmuDrive.FromUrl("dvd+r?fail-write-at=50&fail-write-at=45&fail-write-at=70");
        WriteRange(d, 0, 32);
        var r = d.Out(Cdb.Write10(32, 32), new byte[32 * Block]);
        Sense.Is(r, 0x03, 0x0C, 0x00);
        Assert.Equal(45u, Sense.Information(r));
        Assert.Null(Sense.Information(d.Out(Cdb.Write10(0, 1), new byte[Block]))); // 05/21/02 carries no LBA
    }

    [Fact]
    public void Hang_write_at_holds_the_first_WRITE_reaching_the_LBA_for_the_callers_timeout_then_times_out_as_SG_IO_does()
    {
        using var d = EmuDrive.FromUrl("dvd+r?hang-write-at=100");
        WriteRange(d, 0, 64); // 0..63: before the LBA, no hang
        var before = d.Clock.Elapsed;
        var e = Assert.Throws<TransportException>(() =>
            d.Recorder.Execute(Cdb.Write10(64, 64), DataDirection.Out, new byte[64 * Block], TimeSpan.FromSeconds(42)));
        Assert.Equal(TimeSpan.FromSeconds(42), d.Clock.Elapsed - before);
        Assert.True(e.IsTransient);
        Assert.Equal($"{d.Url}: command 2Ah timed out after 42 s", e.Message); // SgIoTransport's words for SG_INFO timeout
        Assert.Equal(64L * Block, d.Recorder.BytesWritten);                         // the hung WRITE took nothing
        Sense.Good(d.Out(Cdb.Write10(64, 64), new byte[64 * Block]));               // only the first one hangs
        Assert.Equal(128u, Pattern.U32(d.InGood(Cdb.ReadTrackInfo(1, 0xFF), 48), 12));
    }

    [Fact]
    public void Hang_write_at_hangs_the_first_WRITE_12_that_starts_past_the_LBA()
    {
        // An appendable disc's NWA (1024) lies past the armed LBA: the first WRITE there is at or past it.
        using var d = EmuDrive.FromUrl("dvd+r?state=appendable&hang-write-at=10");
        Assert.Equal(1024u, Pattern.U32(d.InGood(Cdb.ReadTrackInfo(1, 0xFF), 48), 12));
        var e = Assert.Throws<TransportException>(() =>
            d.Recorder.Execute(Cdb.Write12(1024, 32), DataDirection.Out, new byte[32 * Block], TimeSpan.FromSeconds(1)));
        Assert.True(e.IsTransient);
        Assert.EndsWith("command AAh timed out after 1 s", e.Message);
        Sense.Good(d.Out(Cdb.Write12(1024, 32), new byte[32 * Block]));
    }

    [Fact]
    public void Slow_at_writes_at_the_fallback_speed_from_that_LBA_while_an_unfaulted_drive_keeps_its_speed()
    {
        using var slow = EmuDrive.FromUrl("dvd+r?speed=24&buffer=1m&slow-at=2048:4");
        using var plain = EmuDrive.FromUrl("dvd+r?speed=24&buffer=1m");
        foreach (var d in new[] { slow, plain })
        {
            // 4 MiB fill the 1 MiB buffer and keep it full: from then on data enters as fast as the laser drains it.
            Took((4.0 * 1024 * 1024 - 1024 * 1024) / (24 * Dvd1x), Timed(d, () => WriteRange(d, 0, 2048)));
        }

        Took(4.0 * 1024 * 1024 / (4 * Dvd1x), Timed(slow, () => WriteRange(slow, 2048, 2048)));
        Took(4.0 * 1024 * 1024 / (24 * Dvd1x), Timed(plain, () => WriteRange(plain, 2048, 2048)));
        Assert.Equal(24, slow.Recorder.WriteSpeed); // the selected speed is what the host chose; the media slow it down
        Assert.Equal(0, slow.Recorder.Underruns);
    }

    [Fact]
    public void Slow_at_inside_a_WRITE_times_each_part_at_its_rate_and_a_later_slow_at_takes_over()
    {
        using var d = EmuDrive.FromUrl("dvd+r?speed=24&buffer=1m&slow-at=2064:8&slow-at=4096:2");
        WriteRange(d, 0, 2048);
        Took((16.0 * Block / (24 * Dvd1x)) + (2032.0 * Block / (8 * Dvd1x)), Timed(d, () => WriteRange(d, 2048, 2048)));
        Took(1024.0 * Block / (2 * Dvd1x), Timed(d, () => WriteRange(d, 4096, 1024)));
    }

    [Fact]
    public void Slow_at_throttles_an_otherwise_unthrottled_drive_from_that_LBA()
    {
        using var d = EmuDrive.FromUrl("dvd+r?buffer=1m&slow-at=2048:8");
        Assert.Equal(TimeSpan.Zero, Timed(d, () => WriteRange(d, 0, 2048)));
        // the laser starts at 8x once the buffer is full: the first 1 MiB goes in at once, the other 3 at 8x
        Took(3.0 * 1024 * 1024 / (8 * Dvd1x), Timed(d, () => WriteRange(d, 2048, 2048)));
    }

    [Fact]
    public void Vanish_after_N_commands_the_drive_is_gone_for_every_later_command_as_SG_IO_reports_a_gone_device()
    {
        using var d = EmuDrive.FromUrl("dvd+r?vanish-after=3");
        Sense.Good(d.Run(Cdb.TestUnitReady()));
        Sense.Good(d.In(Cdb.Inquiry(), 96).Result);
        Sense.Is(d.In(Cdb.Read10(0, 1), Block).Result, 0x05, 0x21, 0x00); // a CHECK CONDITION is a command too
        var e = Assert.Throws<TransportException>(() => d.Run(Cdb.TestUnitReady()));
        Assert.False(e.IsTransient);
        Assert.Equal($"{d.Url}: the device is gone", e.Message);
        Assert.False(Assert.Throws<TransportException>(() => d.Out(Cdb.Write10(0, 1), new byte[Block])).IsTransient);
    }

    [Fact]
    public void Vanish_after_0_is_a_drive_that_never_answers()
    {
        using var d = EmuDrive.FromUrl("dvd+r?vanish-after=0");
        Assert.False(Assert.Throws<TransportException>(() => d.In(Cdb.Inquiry(), 96)).IsTransient);
    }

    [Theory]
    [InlineData("dvd+r", 16, EmulatedProfiles.Dvd1x)]
    [InlineData("dvd-r", 16, EmulatedProfiles.Dvd1x)]
    [InlineData("cd-r", 40, EmulatedProfiles.CdData1x)]
    [InlineData("bd-r", 8, EmulatedProfiles.Bd1x)]
    public void A_throttled_drive_reads_at_its_familys_read_speed(string profile, int readX, double oneX)
    {
        using var d = EmuDrive.FromUrl($"{profile}?speed=max");
        Assert.Equal(readX, d.Recorder.ReadSpeed);
        WriteRange(d, 0, 1024);
        Sense.Good(d.Run(Cdb.SyncCache()));
        Took(1024.0 * Block / (readX * oneX), Timed(d, () => ReadRange(d, 0, 1024)));
    }

    [Fact]
    public void READ_CD_of_CD_DA_is_timed_at_the_audio_rate()
    {
        using var d = EmuDrive.FromUrl("cd-r?speed=max");
        var wp = Cdb.WriteParameters(writeType: 1, dataBlockType: 0, trackMode: 0);
        Sense.Good(d.Out(Cdb.ModeSelect(wp.Length), wp));
        Sense.Good(d.Out(Cdb.Write10(0, 300), new byte[300 * 2352]));
        Sense.Good(d.Run(Cdb.SyncCache()));
        var took = Timed(d, () => Assert.Equal(75 * 2352, d.InGood(Cdb.ReadCd(0, 75, expectedType: 1), 75 * 2352).Length));
        Took(75.0 * 2352 / (40 * EmulatedProfiles.CdAudio1x), took); // one second of audio at 40x
    }

    [Fact]
    public void An_unthrottled_drive_reads_at_once_unless_read_speed_is_given()
    {
        using var fast = EmuDrive.FromUrl("dvd+r");
        Assert.Equal(0, fast.Recorder.ReadSpeed);
        WriteRange(fast, 0, 256);
        Assert.Equal(TimeSpan.Zero, Timed(fast, () => ReadRange(fast, 0, 256)));

        using var paced = EmuDrive.FromUrl("dvd+r?read-speed=4");
        Assert.Equal(4, paced.Recorder.ReadSpeed);
        Assert.Equal(TimeSpan.Zero, Timed(paced, () => WriteRange(paced, 0, 256))); // writes stay unthrottled
        var took = Timed(paced, () => Assert.Equal(256 * Block, paced.InGood(Cdb.Read12(0, 256), 256 * Block).Length));
        Took(256.0 * Block / (4 * Dvd1x), took);

        using var off = EmuDrive.FromUrl("dvd+r?speed=24&read-speed=0");
        Assert.Equal(0, off.Recorder.ReadSpeed);
    }

    [Fact]
    public void Back_to_back_reads_stream_and_a_pause_is_not_credited()
    {
        using var d = EmuDrive.FromUrl("dvd+r?read-speed=16");
        WriteRange(d, 0, 64);
        var one = 32.0 * Block / (16 * Dvd1x);
        Took(one, Timed(d, () => ReadRange(d, 0, 32)));
        // 1 ms of host time between two reads (a sleep that overran): the next transfer started when the previous ended
        d.Clock.Advance(TimeSpan.FromMilliseconds(1));
        Took(one - 0.001, Timed(d, () => ReadRange(d, 32, 32)));
        // a real pause: the next read takes its whole time again
        d.Clock.Advance(TimeSpan.FromSeconds(1));
        Took(one, Timed(d, () => ReadRange(d, 0, 32)));
    }

    [Fact]
    public void Capabilities_page_and_GET_PERFORMANCE_report_the_modelled_read_speed()
    {
        using var d = EmuDrive.FromUrl("dvd+r?speed=24");
        var page = d.InGood(Cdb.ModeSense(0x2A), 256)[8..];
        Assert.Equal(16 * 1385, Pattern.U16(page, 8));   // maximum read speed (obsolete, still filled)
        Assert.Equal(16 * 1385, Pattern.U16(page, 14));  // current read speed
        Assert.Equal(24 * 1385, Pattern.U16(page, 28));  // selected write speed, unchanged
        var read = d.InGood([0xAC, 0x00, 0, 0, 0, 0, 0, 0, 0, 1, 0x00, 0], 24); // type 00h, read
        Assert.Equal((uint)(16 * 1385), Pattern.U32(read, 8 + 4));

        using var unthrottled = EmuDrive.FromUrl("dvd+r");
        Assert.Equal(24 * 1385, Pattern.U16(unthrottled.InGood(Cdb.ModeSense(0x2A), 256)[8..], 8)); // as before
    }

    [Fact]
    public void Faults_combine_on_one_drive_each_with_its_own_effect()
    {
        using var d = EmuDrive.FromUrl("dvd+r?speed=24&buffer=1m&read-speed=4&slow-at=512:8&hang-write-at=1024&fail-write-at=2048&vanish-after=67");
        // 0..511 fill the 1 MiB buffer at once, 512..1023 enter as the laser drains them at 8x
        var commands = 0;
        Took(512.0 * Block / (8 * Dvd1x), Timed(d, () => commands += WriteRange(d, 0, 1024)));
        var hung = Timed(d, () => Assert.True(Assert.Throws<TransportException>(() =>
            d.Recorder.Execute(Cdb.Write10(1024, 32), DataDirection.Out, new byte[32 * Block], TimeSpan.FromSeconds(5))).IsTransient));
        Assert.Equal(TimeSpan.FromSeconds(5), hung);     // a hung command is not a completed one: vanish-after does not count it
        Assert.Equal(1, d.Recorder.Underruns);           // the laser ran dry while the WRITE hung, as on a real drive
        // the empty buffer takes 1 MiB at once again, the rest at 8x
        Took(512.0 * Block / (8 * Dvd1x), Timed(d, () => commands += WriteRange(d, 1024, 1024)));
        var failed = d.Out(Cdb.Write10(2048, 32), new byte[32 * Block]);
        commands++;
        Sense.Is(failed, 0x03, 0x0C, 0x00);
        Assert.Equal(2048u, Sense.Information(failed));
        Sense.Good(d.Run(Cdb.SyncCache()));
        commands++;
        Took(32.0 * Block / (4 * Dvd1x), Timed(d, () => commands += ReadRange(d, 0, 32)));
        Assert.Equal(67, commands);
        Assert.False(Assert.Throws<TransportException>(() => d.Run(Cdb.TestUnitReady())).IsTransient);
    }

    [Fact]
    public void Faults_belong_to_the_drive_write_errors_and_slowdowns_meet_every_disc_a_hang_only_the_first()
    {
        using var d = EmuDrive.FromUrl("dvd+r?speed=24&buffer=1m&autoreload=true&fail-write-at=4000&slow-at=512:4&hang-write-at=100");
        for (var disc = 1; disc <= 2; disc++)
        {
            if (disc == 1)
            {
                Assert.Throws<TransportException>(() =>
                    d.Recorder.Execute(Cdb.Write10(96, 32), DataDirection.Out, new byte[32 * Block], TimeSpan.FromSeconds(1)));
            }

            // 0..511 fill the buffer, 512..1023 enter at the 4x the media allow, on the second disc as on the first
            Took(512.0 * Block / (4 * Dvd1x), Timed(d, () => WriteRange(d, 0, 1024)));
            var r = d.Out(Cdb.Write10(4000, 32), new byte[32 * Block]);
            Sense.Is(r, 0x05, 0x21, 0x02); // not at the NWA: that check comes first, as on a real drive
            WriteRange(d, 1024, 2976);
            r = d.Out(Cdb.Write10(4000, 32), new byte[32 * Block]);
            Sense.Is(r, 0x03, 0x0C, 0x00);
            Assert.Equal(4000u, Sense.Information(r));
            Sense.Good(d.Run(Cdb.Close(2)));
            Sense.Good(d.Run(Cdb.StartStop(loej: true, start: false))); // autoreload: a fresh blank disc goes in
            Sense.Good(d.Run(Cdb.TestUnitReady()));
        }
    }

    [Theory]
    [InlineData("emulated:dvd+r?fail-write-at=abc", "fail-write-at LBA 'abc' is not 0..2295103", "fail-write-at=LBA")]
    [InlineData("emulated:dvd+r?fail-write-at=-1", "fail-write-at LBA '-1'", "fail-write-at=LBA")]
    [InlineData("emulated:dvd+r?fail-write-at=", "fail-write-at LBA ''", "fail-write-at=LBA")]
    [InlineData("emulated:dvd+r?fail-write-at=2295104", "inside the medium's 2295104 blocks", "fail-write-at=LBA")]
    [InlineData("emulated:dvd+r?fail-write-at=1000&capacity=1000", "fail-write-at LBA '1000' is not 0..999", "fail-write-at=LBA")]
    [InlineData("emulated:cd-r?hang-write-at=360000", "hang-write-at LBA '360000' is not 0..359999", "hang-write-at=LBA")]
    [InlineData("emulated:dvd+r?hang-write-at=0x10", "hang-write-at LBA '0x10'", "hang-write-at=LBA")]
    [InlineData("emulated:dvd+r?slow-at=1000", "slow-at '1000' is not LBA:SPEED", "slow-at=LBA:SPEED")]
    [InlineData("emulated:dvd+r?slow-at=1000:0", "slow-at speed '0' is not 1..1000", "slow-at=LBA:SPEED")]
    [InlineData("emulated:dvd+r?slow-at=1000:1001", "slow-at speed '1001' is not 1..1000", "slow-at=LBA:SPEED")]
    [InlineData("emulated:dvd+r?slow-at=1000:", "slow-at speed ''", "slow-at=LBA:SPEED")]
    [InlineData("emulated:dvd+r?slow-at=x:4", "slow-at LBA 'x'", "slow-at=LBA:SPEED")]
    [InlineData("emulated:bd-r?slow-at=12219392:4", "slow-at LBA '12219392' is not 0..12219391", "slow-at=LBA:SPEED")]
    [InlineData("emulated:dvd+r?vanish-after=-1", "vanish-after '-1' is not a command count", "vanish-after=N")]
    [InlineData("emulated:dvd+r?vanish-after=99999999999", "vanish-after '99999999999'", "vanish-after=N")]
    [InlineData("emulated:dvd+r?vanish-after=1&vanish-after=2", "vanish-after is given twice", "vanish-after=N")]
    [InlineData("emulated:dvd+r?read-speed=fast", "read-speed 'fast' is not 0..1000", "read-speed=N")]
    [InlineData("emulated:dvd+r?read-speed=1001", "read-speed '1001'", "read-speed=N")]
    [InlineData("emulated:dvd+r?read-speed=4&read-speed=8", "read-speed is given twice", "read-speed=N")]
    [InlineData("emulated:dvd+r?fail-at=100", "parameter 'fail-at=100' is not one of", "fail-write-at=LBA, hang-write-at=LBA, slow-at=LBA:SPEED, vanish-after=N")]
    public void Malformed_or_out_of_range_faults_are_refused_naming_the_key_and_its_grammar(string url, string problem, string grammar)
    {
        var e = Assert.Throws<ImapiException>(() => EmulatedRecorderUrl.Parse(url));
        Assert.Equal(ImapiError.InvalidInput, e.Code);
        Assert.Contains($"recorder URL '{url}'", e.Message);
        Assert.Contains(problem, e.Message);
        Assert.Contains(grammar, e.Message);
    }

    [Theory]
    [InlineData("emulated:dvd+r?speed=24&dir=var/discs&name=bay3&fail-write-at=1200000")]
    [InlineData("emulated:dvd+r?speed=24&name=bay7&hang-write-at=1000000")]
    [InlineData("emulated:dvd+r?speed=24&name=bay2&slow-at=500000:8&slow-at=1500000:4")]
    [InlineData("emulated:cd-r?speed=max&name=bay5&vanish-after=500&read-speed=24")]
    [InlineData("emulated:bd-r?speed=6&read-speed=4")]
    public void The_README_examples_parse(string url) => Assert.Equal(EmulatedProfiles.Name(EmulatedRecorderUrl.Parse(url).Profile), url[9..url.IndexOf('?')]);

    [Fact]
    public void Fault_LBAs_are_bounded_by_the_capacity_wherever_it_appears_in_the_query()
    {
        Assert.Equal(999L, EmulatedRecorderUrl.Parse("emulated:dvd+r?fail-write-at=999&capacity=1000").Faults.FirstWriteError(0, 1000));
        Assert.Equal(999L, EmulatedRecorderUrl.Parse("emulated:dvd+r?capacity=1000&fail-write-at=999").Faults.FirstWriteError(0, 1000));
        Assert.Equal(2_295_103L, EmulatedRecorderUrl.Parse("emulated:dvd+r?fail-write-at=2295103").Faults.FirstWriteError(2_295_072, 32));
        Assert.Equal(359_999L, EmulatedRecorderUrl.Parse("emulated:cd-r?capacity=cd80&fail-write-at=359999").Faults.FirstWriteError(359_999, 1));
        // an empty drive may later take any medium: only the 32-bit address field bounds it
        Assert.Equal(4_000_000_000L, EmulatedRecorderUrl.Parse("emulated:none?fail-write-at=4000000000").Faults.FirstWriteError(4_000_000_000, 1));
        Assert.Throws<ImapiException>(() => EmulatedRecorderUrl.Parse("emulated:none?fail-write-at=4294967295"));
        Assert.Equal(8, EmulatedRecorderUrl.Parse("emulated:dvd+r?read-speed=8").ReadSpeed);
        Assert.Null(EmulatedRecorderUrl.Parse("emulated:dvd+r").ReadSpeed);
        Assert.Equal(((int?)8, 2_295_104L), EmulatedRecorderUrl.Parse("emulated:dvd+r?slow-at=1000:8").Faults.SlowdownAt(1000, 2_295_104));
    }
}
