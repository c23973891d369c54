using Duplicator.Drivers.Emulation;
using Duplicator.Drivers.Transport;

namespace Duplicator.Drivers.Tests.Emulation;

public sealed class EmulatedRecorderFaultTests
{
    [Fact]
    public void Write_error_at_an_LBA_fails_the_write_covering_it_and_keeps_the_NWA()
    {
        using var d = new EmuDrive(EmulatedProfile.DvdPlusR);
        d.Recorder.Faults.FailWriteAt(40);
        Sense.Good(d.Out(Cdb.Write10(0, 32), new byte[32 * 2048]));
        Sense.Is(d.Out(Cdb.Write10(32, 16), new byte[16 * 2048]), 0x03, 0x0C, 0x00);
        Assert.Equal(32u, Pattern.U32(d.InGood(Cdb.ReadTrackInfo(1, 0xFF), 48), 12));
        d.Recorder.Faults.ClearWriteErrors();
        Sense.Good(d.Out(Cdb.Write10(32, 16), new byte[16 * 2048]));
    }

    [Fact]
    public void Drive_gone_fails_every_later_command_with_a_non_transient_transport_error()
    {
        using var d = new EmuDrive(EmulatedProfile.DvdPlusR);
        d.Recorder.Faults.DisconnectAfter(2);
        Sense.Good(d.Run(Cdb.TestUnitReady()));
        Sense.Good(d.Run(Cdb.TestUnitReady()));
        var e = Assert.Throws<TransportException>(() => d.Run(Cdb.TestUnitReady()));
        Assert.False(e.IsTransient);
        Assert.Throws<TransportException>(() => d.In(Cdb.Inquiry(), 96));
    }

    [Fact]
    public void Not_ready_for_a_while_then_ready()
    {
        using var d = new EmuDrive(EmulatedProfile.DvdPlusR);
        d.Recorder.Faults.NotReadyFor(TimeSpan.FromSeconds(5));
        Sense.Is(d.Run(Cdb.TestUnitReady()), 0x02, 0x04, 0x01);
        Sense.Good(d.In(Cdb.Inquiry(), 96).Result); // INQUIRY is answered while becoming ready
        var sense = d.InGood(Cdb.RequestSense(), 18);
        Assert.Equal((2, 0x04, 0x01), (sense[2] & 0x0F, sense[12], sense[13]));
        d.Clock.Advance(TimeSpan.FromSeconds(4));
        Sense.Is(d.Out(Cdb.Write10(0, 1), new byte[2048]), 0x02, 0x04, 0x01);
        d.Clock.Advance(TimeSpan.FromSeconds(1.5));
        Sense.Good(d.Run(Cdb.TestUnitReady()));
        Sense.Good(d.Out(Cdb.Write10(0, 1), new byte[2048]));
    }

    [Fact]
    public void Hung_command_blocks_until_the_timeout_then_fails_transiently_and_the_drive_recovers()
    {
        using var d = new EmuDrive(EmulatedProfile.DvdPlusR);
        d.Recorder.Faults.Hang(0x35);
        var before = d.Clock.Elapsed;
        var e = Assert.Throws<TransportException>(() =>
            d.Recorder.Execute(Cdb.SyncCache(), DataDirection.None, Span<byte>.Empty, TimeSpan.FromSeconds(42)));
        Assert.True(e.IsTransient);
        Assert.Equal(TimeSpan.FromSeconds(42), d.Clock.Elapsed - before);
        Sense.Good(d.Run(Cdb.SyncCache()));
    }

    [Fact]
    public void Hung_command_on_the_real_clock_really_blocks_for_the_timeout()
    {
        var root = Path.Combine(Path.GetTempPath(), "dup-emu-" + Guid.NewGuid().ToString("N"));
        using (var r = new EmulatedRecorder(new EmulatedRecorderOptions { OutputDirectory = root }))
        {
            r.Faults.Hang(0x00);
            var watch = System.Diagnostics.Stopwatch.StartNew();
            Assert.Throws<TransportException>(() => r.Execute(Cdb.TestUnitReady(), DataDirection.None, Span<byte>.Empty, TimeSpan.FromMilliseconds(200)));
            Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(190), $"returned after {watch.Elapsed}");
        }

        if (Directory.Exists(root))
        {
            Directory.Delete(root, true);
        }
    }

    [Fact]
    public void Slow_command_takes_the_injected_delay()
    {
        using var d = new EmuDrive(EmulatedProfile.DvdPlusR);
        d.Recorder.Faults.Delay(0x51, TimeSpan.FromSeconds(3));
        var before = d.Clock.Elapsed;
        d.InGood(Cdb.ReadDiscInfo(), 34);
        Assert.Equal(TimeSpan.FromSeconds(3), d.Clock.Elapsed - before);
    }

    [Fact]
    public void Medium_not_blank_and_medium_too_small_show_in_disc_and_track_information()
    {
        using var d = new EmuDrive(EmulatedProfile.DvdPlusR, MediumState.Appendable, capacity: 5000);
        var di = d.InGood(Cdb.ReadDiscInfo(), 34);
        Assert.Equal(1, di[2] & 0x03);
        Assert.Equal(2, di[4]);                  // sessions incl. the empty one
        Assert.Equal(5000u, Pattern.U32(di, 20));
        var ti = d.InGood(Cdb.ReadTrackInfo(1, 0xFF), 48);
        Assert.Equal(2, ti[2]);
        Assert.Equal(1024u, Pattern.U32(ti, 12));
        Assert.Equal(5000u - 1024, Pattern.U32(ti, 16));
    }

    [Fact]
    public void Faults_can_be_armed_from_another_thread_while_commands_run()
    {
        using var d = new EmuDrive(EmulatedProfile.DvdPlusR);
        using var armed = new ManualResetEventSlim();
        var injector = new Thread(() =>
        {
            d.Recorder.Faults.Disconnect();
            armed.Set();
        });
        Sense.Good(d.Run(Cdb.TestUnitReady()));
        injector.Start();
        armed.Wait(TimeSpan.FromSeconds(10));
        Assert.Throws<TransportException>(() => d.Run(Cdb.TestUnitReady()));
        injector.Join();
    }
}
