using Duplicator.Drivers.Emulation;

namespace Duplicator.Drivers.Tests.Emulation;

public sealed class DriveBufferModelTests
{
    private const long MiB = 1024 * 1024;

    [Fact]
    public void Laser_starts_once_the_buffer_is_full_then_drains_at_the_rate()
    {
        var clock = new FakeClock();
        var b = new DriveBufferModel(clock, 2_000_000);
        b.SetRate(1_000_000);
        b.Write(1_500_000);
        clock.Advance(TimeSpan.FromSeconds(0.5));
        Assert.Equal(1_500_000, b.FillBytes);     // a reserve builds up first: nothing written yet
        b.Write(500_000);                         // full: the laser starts
        clock.Advance(TimeSpan.FromSeconds(0.5));
        Assert.Equal(1_500_000, b.FillBytes);
        Assert.Equal(TimeSpan.Zero, clock.Slept);
        Assert.Equal(0, b.Underruns);
    }

    [Fact]
    public void Host_pausing_before_the_buffer_is_full_is_no_underrun()
    {
        var clock = new FakeClock();
        var b = new DriveBufferModel(clock, 2 * MiB);
        b.SetRate(33_240_000);                    // 24x DVD
        b.Write(64 * 1024);
        clock.Advance(TimeSpan.FromMilliseconds(50)); // a first-write hiccup (JIT) far longer than 64 KiB lasts at 24x
        Assert.Equal(0, b.Underruns);
        Assert.Equal(64 * 1024, b.FillBytes);
    }

    [Fact]
    public void Write_blocks_only_for_the_time_the_laser_needs_to_make_room()
    {
        var clock = new FakeClock();
        var b = new DriveBufferModel(clock, 2_000_000);
        b.SetRate(1_000_000);
        b.Write(2_000_000);                       // fills exactly: no wait
        Assert.Equal(TimeSpan.Zero, clock.Slept);
        b.Write(500_000);                         // needs 0.5 s of draining
        Assert.Equal(0.5, clock.Slept.TotalSeconds, 6);
        Assert.Equal(2_000_000, b.FillBytes);
        Assert.Equal(0, b.Underruns);
        Assert.Equal(2_500_000, b.BytesAccepted);
    }

    /// <summary>A clock whose Sleep ends after half the time asked, as a coarse timer can.</summary>
    private sealed class ShortSleepClock : IDriveClock
    {
        private long _ticks = TimeSpan.FromSeconds(1).Ticks;

        public TimeSpan Elapsed => TimeSpan.FromTicks(Interlocked.Read(ref _ticks));

        public void Sleep(TimeSpan duration) => Interlocked.Add(ref _ticks, Math.Max(1, duration.Ticks / 2));
    }

    [Fact]
    public void Writes_never_outrun_the_rate_when_sleeps_end_early()
    {
        var clock = new ShortSleepClock();
        var b = new DriveBufferModel(clock, 2_000_000);
        b.SetRate(1_000_000);
        var start = clock.Elapsed;
        for (var i = 0; i < 160; i++)
        {
            b.Write(62_500);                      // 10 MB in all
        }

        // 2 MB fit at once; the other 8 MB can enter only as fast as 1 MB/s drains.
        Assert.True((clock.Elapsed - start).TotalSeconds >= 8.0 - 1e-6, $"took {(clock.Elapsed - start).TotalSeconds} s of drive time");
        Assert.Equal(0, b.Underruns);
    }

    [Fact]
    public void System_clock_never_sleeps_shorter_than_asked()
    {
        var wait = TimeSpan.FromMilliseconds(1.5);
        for (var i = 0; i < 5; i++)
        {
            var t = System.Diagnostics.Stopwatch.StartNew();
            SystemDriveClock.Instance.Sleep(wait);
            Assert.True(t.Elapsed >= wait, $"slept {t.Elapsed.TotalMilliseconds} ms for {wait.TotalMilliseconds} ms");
        }
    }

    [Fact]
    public void Host_pausing_longer_than_the_buffer_lasts_counts_one_underrun()
    {
        var clock = new FakeClock();
        var b = new DriveBufferModel(clock, 2_000_000);
        b.SetRate(1_000_000);
        b.Write(2_000_000);                      // full: writing starts
        clock.Advance(TimeSpan.FromSeconds(1.9));
        Assert.Equal(0, b.Underruns);
        clock.Advance(TimeSpan.FromSeconds(5));  // ran dry after 2 s
        Assert.Equal(0, b.FillBytes);
        Assert.Equal(1, b.Underruns);
        clock.Advance(TimeSpan.FromSeconds(5));  // still empty: the same underrun
        Assert.Equal(1, b.Underruns);
        b.Write(100_000);                        // the laser stopped: it waits for a full buffer again
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, b.Underruns);
        Assert.Equal(100_000, b.FillBytes);
        b.Write(1_900_000);                      // full again: writing resumes
        clock.Advance(TimeSpan.FromSeconds(3));
        Assert.Equal(2, b.Underruns);
    }

    [Fact]
    public void Host_keeping_up_never_underruns()
    {
        var clock = new FakeClock();
        var b = new DriveBufferModel(clock, 2_000_000);
        b.SetRate(1_000_000);
        for (var i = 0; i < 100; i++)
        {
            b.Write(100_000);                    // 100 kB every 90 ms: faster than the 1 MB/s drain
            clock.Advance(TimeSpan.FromMilliseconds(90));
        }

        Assert.Equal(0, b.Underruns);
        Assert.True(b.FillBytes > 0);
    }

    [Fact]
    public void Flush_waits_for_the_buffer_to_empty_without_an_underrun()
    {
        var clock = new FakeClock();
        var b = new DriveBufferModel(clock, 2_000_000);
        b.SetRate(1_000_000);
        b.Write(1_000_000);
        b.Flush();
        Assert.Equal(1.0, clock.Slept.TotalSeconds, 6);
        Assert.Equal(0, b.FillBytes);
        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(0, b.Underruns);
    }

    [Fact]
    public void Unthrottled_buffer_never_holds_data_or_blocks()
    {
        var clock = new FakeClock();
        var b = new DriveBufferModel(clock, 1000);
        b.Write(10_000_000);
        clock.Advance(TimeSpan.FromSeconds(100));
        Assert.Equal(0, b.FillBytes);
        Assert.Equal(0, b.Underruns);
        Assert.Equal(TimeSpan.Zero, clock.Slept);
    }

    [Fact]
    public void Recorder_at_4x_DVD_holds_writes_for_the_modelled_time()
    {
        // 4x DVD = 5,540,000 bytes/s; a 2 MiB buffer; 16 MiB written back to back.
        using var d = new EmuDrive(EmulatedProfile.DvdPlusR, maxSpeed: 24);
        Sense.Good(d.Run(Cdb.SetCdSpeed(4 * 1385)));
        Assert.Equal(4, d.Recorder.WriteSpeed);
        var chunk = new byte[512 * 1024];
        for (var i = 0; i < 32; i++)
        {
            Sense.Good(d.Out(Cdb.Write10(i * 256, 256), chunk));
        }

        var expectedBlocked = (16.0 * MiB - 2 * MiB) / 5_540_000;
        Assert.Equal(expectedBlocked, d.Recorder.WriteBlockedTime.TotalSeconds, 3);
        Assert.Equal(2 * MiB, d.Recorder.BufferFillBytes);
        var cap = d.InGood(Cdb.ReadBufferCapacity(), 12);
        Assert.Equal((uint)(2 * MiB), Pattern.U32(cap, 4));
        Assert.Equal(0u, Pattern.U32(cap, 8));    // no room left
        Assert.Equal(0, d.Recorder.Underruns);

        d.Clock.Advance(TimeSpan.FromSeconds(1)); // host stalls for longer than 2 MiB lasts at 4x
        Assert.Equal(1, d.Recorder.Underruns);
        Assert.Equal(16 * MiB, d.Recorder.BytesWritten);
    }

    [Fact]
    public void Recorder_CD_audio_drains_at_176_4_kB_per_x_and_data_at_153_6()
    {
        using var d = new EmuDrive(EmulatedProfile.CdR, maxSpeed: 1, buffer: 75 * 2352); // one second of audio: full at once
        Assert.Equal(1, d.Recorder.WriteSpeed);
        Sense.Good(d.Out(Cdb.ModeSelect(60), Cdb.WriteParameters(1, 0, 0)));
        Sense.Good(d.Out(Cdb.Write10(0, 75), new byte[75 * 2352]));
        d.Clock.Advance(TimeSpan.FromSeconds(0.5));
        Assert.Equal(75 * 2352 - 88_200, d.Recorder.BufferFillBytes); // 0.5 s at 176.4 kB/s
        Sense.Good(d.Run(Cdb.SyncCache()));
        Assert.Equal(0, d.Recorder.BufferFillBytes);
        Assert.Equal(0, d.Recorder.Underruns);
    }
}

/// <summary>A clock whose Sleep parks the sleeper until the test lets it go.</summary>
internal sealed class GatedClock : IDriveClock
{
    private readonly object _gate = new();
    private TimeSpan _now = TimeSpan.FromSeconds(1);

    public ManualResetEventSlim Sleeping { get; } = new();
    public ManualResetEventSlim Release { get; } = new();

    public TimeSpan Elapsed { get { lock (_gate) { return _now; } } }

    public void Sleep(TimeSpan duration)
    {
        Sleeping.Set();
        Release.Wait();
        lock (_gate)
        {
            _now += duration;
        }
    }
}

public sealed class DriveBufferConcurrencyTests
{
    [Fact]
    public void Counters_can_be_read_from_another_thread_while_a_write_waits_for_buffer_space()
    {
        var root = Path.Combine(Path.GetTempPath(), "dup-emu-" + Guid.NewGuid().ToString("N"));
        var clock = new GatedClock();
        EmulatedRecorder? recorder = null;
        try
        {
            var r = recorder = new EmulatedRecorder(new EmulatedRecorderOptions { OutputDirectory = root, Clock = clock, MaxSpeed = 4, BufferBytes = 1024 * 1024 });
            Assert.True(r.Execute(Cdb.Write10(0, 512), Transport.DataDirection.Out, new byte[1024 * 1024], TimeSpan.FromSeconds(5)).IsGood);
            Transport.ScsiResult second = default;
            var writer = new Thread(() => second = r.Execute(Cdb.Write10(512, 256), Transport.DataDirection.Out, new byte[512 * 1024], TimeSpan.FromSeconds(5)));
            writer.Start();
            Assert.True(clock.Sleeping.Wait(TimeSpan.FromSeconds(10)), "the second WRITE never blocked on the full buffer");

            (long, long, long, int, EmulatedProfile) sample = default;
            var reader = new Thread(() => sample = (r.BufferFillBytes, r.BytesWritten, r.Underruns, r.WriteSpeed, r.CurrentProfile));
            reader.Start();
            Assert.True(reader.Join(TimeSpan.FromSeconds(10)), "counters blocked behind the waiting WRITE");
            Assert.Equal((1024L * 1024, 1024L * 1024 + 512 * 1024, 0L, 4, EmulatedProfile.DvdPlusR), sample);

            clock.Release.Set();
            Assert.True(writer.Join(TimeSpan.FromSeconds(10)));
            Assert.True(second.IsGood);
            Assert.Equal(1024L * 1024, r.BufferFillBytes);
            Assert.Equal(TimeSpan.FromSeconds(512.0 * 1024 / (4 * 1_385_000)), r.WriteBlockedTime);
        }
        finally
        {
            clock.Release.Set(); // never leave the writer parked, even when an assertion failed
            recorder?.Dispose();
            if (Directory.Exists(root))
            {
                Directory.Delete(root, true);
            }
        }
    }
}
