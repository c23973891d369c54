using Duplicator.Drivers.Emulation;
using Duplicator.Drivers.Transport;

namespace Duplicator.Drivers.Tests.Emulation;

public sealed class EmulatedRecorderRobustnessTests
{
    private static readonly byte[] Opcodes =
    [
        0x00, 0x03, 0x04, 0x12, 0x1B, 0x1E, 0x23, 0x25, 0x28, 0x2A, 0x35, 0x43, 0x46, 0x4A, 0x51, 0x52, 0x53,
        0x55, 0x5A, 0x5B, 0x5C, 0x5D, 0xA1, 0xA8, 0xAA, 0xAC, 0xB6, 0xBB, 0xBE, 0x1A, 0xFF,
    ];

    [Theory]
    [InlineData(EmulatedProfile.CdR)]
    [InlineData(EmulatedProfile.CdRw)]
    [InlineData(EmulatedProfile.DvdPlusR)]
    [InlineData(EmulatedProfile.DvdPlusRw)]
    [InlineData(EmulatedProfile.BdR)]
    public void Random_CDBs_and_parameter_lists_always_get_GOOD_or_CHECK_CONDITION_with_sense(EmulatedProfile profile)
    {
        using var d = new EmuDrive(profile, capacity: 4000);
        var random = new Random(4711 + (int)profile);
        var good = 0;
        for (var i = 0; i < 4000; i++)
        {
            var opcode = Opcodes[random.Next(Opcodes.Length)];
            var cdb = new byte[random.Next(4) switch { 0 => random.Next(1, 16), 1 => 6, 2 => 10, _ => 12 }];
            random.NextBytes(cdb);
            cdb[0] = opcode;
            if (random.Next(3) == 0 && cdb.Length >= 9)
            {
                cdb[2] = cdb[3] = cdb[4] = cdb[6] = 0; // small LBAs and lengths now and then
                cdb[7] = 0;
                cdb[8] = (byte)random.Next(4);
            }

            var data = new byte[random.Next(3) == 0 ? random.Next(0, 64) : random.Next(0, 3) * 2048 + random.Next(2) * 304];
            random.NextBytes(data);
            var direction = (DataDirection)random.Next(3);
            ScsiResult r;
            try
            {
                r = d.Recorder.Execute(cdb, direction, data, TimeSpan.FromSeconds(1));
            }
            catch (Exception e)
            {
                Assert.Fail($"CDB {Convert.ToHexString(cdb)} ({direction}, {data.Length} bytes) threw {e}");
                return;
            }

            if (r.IsGood)
            {
                good++;
                Assert.InRange(r.Transferred, 0, data.Length);
            }
            else
            {
                Assert.Equal(ScsiResult.CheckCondition, r.Status);
                Assert.Equal(EmulatedSense.FixedLength, r.Sense.Length);
                Assert.Equal(0x70, r.Sense.Span[0]);
            }

            if (d.Recorder.CurrentProfile == EmulatedProfile.None || i % 500 == 0)
            {
                d.Recorder.LoadMedium(profile, (MediumState)random.Next(3), 4000);
            }
        }

        Assert.True(good > 100, $"only {good} commands succeeded: the random mix is not reaching the handlers");
    }

    [Fact]
    public void Operator_loading_and_ejecting_from_another_thread_never_breaks_a_command()
    {
        using var d = new EmuDrive(EmulatedProfile.DvdPlusR, capacity: 100_000);
        var stop = false;
        Exception? operatorFailure = null;
        var loads = 0;
        var operatorThread = new Thread(() =>
        {
            try
            {
                while (!Volatile.Read(ref stop))
                {
                    d.Recorder.Eject();
                    d.Recorder.LoadMedium(EmulatedProfile.DvdPlusR, MediumState.Blank, 100_000);
                    loads++;
                }
            }
            catch (Exception e)
            {
                operatorFailure = e;
            }
        });
        operatorThread.Start();
        var data = new byte[16 * 2048];
        var outcomes = new HashSet<string>();
        for (var i = 0; i < 3000; i++)
        {
            var ti = d.In(Cdb.ReadTrackInfo(1, 0xFF), 48);
            var nwa = ti.Result.IsGood ? Pattern.U32(ti.Data, 12) : 0;
            var r = d.Out(Cdb.Write10(nwa, 16), data);
            outcomes.Add(r.IsGood ? "good" : $"{r.Sense.Span[2] & 0x0F:X2}/{r.Sense.Span[12]:X2}/{r.Sense.Span[13]:X2}");
        }

        Volatile.Write(ref stop, true);
        Assert.True(operatorThread.Join(TimeSpan.FromSeconds(30)));
        Assert.Null(operatorFailure);
        Assert.True(loads > 0);
        Assert.Contains("good", outcomes);
        // Only the conditions a medium change can explain: no medium, or the NWA moved under the host.
        Assert.Empty(outcomes.Except(["good", "02/3A/00", "05/21/02"]));
    }
}
