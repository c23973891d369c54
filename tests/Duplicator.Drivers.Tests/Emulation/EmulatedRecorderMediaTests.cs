using System.Diagnostics;
using System.Security.Cryptography;
using Duplicator.Drivers.Emulation;

namespace Duplicator.Drivers.Tests.Emulation;

public sealed class EmulatedRecorderMediaTests
{
    [Fact]
    public void Second_CD_session_starts_after_the_first_sessions_lead_out_and_shows_in_session_info()
    {
        using var d = new EmuDrive(EmulatedProfile.CdR, MediumState.Appendable);
        var ti = d.InGood(Cdb.ReadTrackInfo(1, 0xFF), 48);
        Assert.Equal(2, ti[2]);
        Assert.Equal(2, ti[3]);                               // session 2
        Assert.Equal(1024u + 11_400, Pattern.U32(ti, 12));
        var lba = 1024 + 11_400;
        Sense.Good(d.Out(Cdb.Write10(lba, 20), Pattern.Blocks(lba, 20, 2048)));
        Sense.Good(d.Run(Cdb.Close(2)));                      // multi-session 00b: finalizes
        var session = d.InGood(Cdb.ReadToc(1), 12);
        Assert.Equal(2, session[3]);                          // last complete session
        Assert.Equal(2, session[6]);                          // its first track
        Assert.Equal((uint)lba, Pattern.U32(session, 8));
        var di = d.InGood(Cdb.ReadDiscInfo(), 34);
        Assert.Equal((2, 2, 2, 2), (di[2] & 0x03, di[4], di[5], di[6]));
        Assert.Equal(Pattern.Blocks(lba, 20, 2048), d.InGood(Cdb.Read10(lba, 20), 20 * 2048));
        Assert.Equal(new byte[2048], d.InGood(Cdb.Read10(0, 1), 2048)); // the preloaded track reads as zeros

        // Full TOC (format 2): per session A0 (first track), A1 (last track), A2 (lead-out), then the tracks.
        var full = d.InGood(Cdb.ReadToc(2), 804);
        Assert.Equal((1, 2), (full[2], full[3]));
        var descriptors = (Pattern.U16(full, 0) - 2) / 11;
        Assert.Equal(8, descriptors);
        byte[] D(int i) => full[(4 + 11 * i)..(4 + 11 * (i + 1))];
        Assert.Equal((1, 0xA0, 1), (D(0)[0], D(0)[3], D(0)[8]));
        Assert.Equal((1, 0xA2), (D(2)[0], D(2)[3]));
        Assert.Equal([0, 15, 49], D(2)[8..11]);                // lead-out of session 1 at 1024 + 150 = 00:15:49
        Assert.Equal((2, 0xA0, 2), (D(4)[0], D(4)[3], D(4)[8]));
        Assert.Equal((2, 2), (D(7)[0], D(7)[3]));
        var msf = lba + 150;
        Assert.Equal([(byte)(msf / 4500), (byte)(msf / 75 % 60), (byte)(msf % 75)], D(7)[8..11]);
    }

    [Fact]
    public void CD_TAO_track_ends_at_SYNCHRONIZE_CACHE_and_a_third_session_follows_6900_blocks_after_the_second()
    {
        using var d = new EmuDrive(EmulatedProfile.CdR, MediumState.Appendable);
        Sense.Good(d.Out(Cdb.ModeSelect(60), Cdb.WriteParameters(1, 8, multiSession: 3)));
        var lba = 1024 + 11_400;
        Sense.Good(d.Out(Cdb.Write10(lba, 300), new byte[300 * 2048]));
        Sense.Good(d.Run(Cdb.SyncCache()));
        var ti = d.InGood(Cdb.ReadTrackInfo(1, 0xFF), 48);
        Assert.Equal(3, ti[2]);                                 // track 2 closed by the cache flush: track 3 is next
        Assert.Equal((uint)(lba + 300 + 150), Pattern.U32(ti, 12));
        Sense.Good(d.Run(Cdb.Close(2)));
        Assert.Equal((uint)(lba + 300 + 6_900), Pattern.U32(d.InGood(Cdb.ReadTrackInfo(1, 0xFF), 48), 12));
        var full = d.InGood(Cdb.ReadToc(2), 804);
        var last = full[^11..];
        Assert.Equal(0xB0, last[3]);                            // appendable: next program area pointer
    }

    [Fact]
    public void Autoloader_puts_a_fresh_blank_disc_in_when_the_host_ejects()
    {
        using var d = new EmuDrive(EmulatedProfile.DvdPlusR, autoReload: true);
        Sense.Good(d.Out(Cdb.Write10(0, 16), Pattern.Blocks(0, 16, 2048)));
        Sense.Good(d.Run(Cdb.Close(2)));
        Sense.Good(d.Run(Cdb.Close(6)));
        var first = d.Recorder.CurrentImagePath!;
        Sense.Good(d.Run(Cdb.StartStop(loej: true, start: false)));
        Sense.Good(d.Run(Cdb.TestUnitReady()));
        Assert.Equal(2, d.InGood(Cdb.GetEventStatus(), 8)[4] & 0x0F); // new media
        Assert.Equal(0, d.InGood(Cdb.ReadDiscInfo(), 34)[2] & 0x03);  // blank
        Sense.Good(d.Out(Cdb.Write10(0, 16), Pattern.Blocks(0, 16, 2048, seed: 9)));
        Assert.EndsWith("disc-2.iso", d.Recorder.CurrentImagePath);
        Assert.Equal(Pattern.Blocks(0, 16, 2048), File.ReadAllBytes(first));
        Assert.Equal([first, d.Recorder.CurrentImagePath!], d.Recorder.ImagePaths);
    }

    [Fact]
    public void Disc_numbers_continue_after_discs_already_in_the_output_folder()
    {
        var root = Path.Combine(Path.GetTempPath(), "dup-emu-" + Guid.NewGuid().ToString("N"));
        try
        {
            Directory.CreateDirectory(Path.Combine(root, "bay1"));
            File.WriteAllBytes(Path.Combine(root, "bay1", "disc-7.iso"), [1, 2, 3]);
            using var r = new EmulatedRecorder(new EmulatedRecorderOptions { Name = "bay1", OutputDirectory = root, Clock = new FakeClock() });
            Assert.True(r.Execute(Cdb.Write10(0, 1), Transport.DataDirection.Out, new byte[2048], TimeSpan.FromSeconds(5)).IsGood);
            Assert.EndsWith("disc-8.iso", r.CurrentImagePath);
            Assert.Equal([1, 2, 3], File.ReadAllBytes(Path.Combine(root, "bay1", "disc-7.iso")));
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }

    [Fact]
    public void Burn_of_256_MiB_streams_to_the_image_file_without_holding_it_in_memory()
    {
        using var d = new EmuDrive(EmulatedProfile.DvdPlusR);
        const int chunkBlocks = 512;                       // 1 MiB per WRITE(10)
        var chunk = new byte[chunkBlocks * 2048];
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 256; i++)
        {
            chunk.AsSpan().Fill((byte)i);
            chunk[0] = (byte)(i >> 3);
            Sense.Good(d.Out(Cdb.Write10(i * chunkBlocks, chunkBlocks), chunk));
            hash.AppendData(chunk);
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        Assert.True(allocated < 8 * 1024 * 1024, $"emulator allocated {allocated} bytes for 256 MiB of writes");
        Sense.Good(d.Run(Cdb.Close(2)));
        Sense.Good(d.Run(Cdb.Close(6)));
        var image = d.Recorder.CurrentImagePath!;
        Assert.Equal(256L * 1024 * 1024, new FileInfo(image).Length);
        using var file = File.OpenRead(image);
        Assert.Equal(hash.GetHashAndReset(), SHA256.HashData(file));
    }

    [Fact]
    public void DvdPlusRw_write_far_into_the_disc_leaves_a_sparse_image()
    {
        using var d = new EmuDrive(EmulatedProfile.DvdPlusRw, MediumState.Closed);
        Sense.Good(d.Out(Cdb.Write10(2_000_000, 16), Pattern.Blocks(2_000_000, 16, 2048)));
        var image = d.Recorder.CurrentImagePath!;
        Assert.Equal((2_000_000L + 16) * 2048, new FileInfo(image).Length);
        var stat = Process.Start(new ProcessStartInfo("stat", ["-c", "%b %B", image]) { RedirectStandardOutput = true })!;
        var parts = stat.StandardOutput.ReadToEnd().Trim().Split(' ');
        stat.WaitForExit();
        var allocated = long.Parse(parts[0]) * long.Parse(parts[1]);
        Assert.True(allocated < 16 * 1024 * 1024, $"{allocated} bytes allocated for a 4 GB image");
        Assert.Equal(Pattern.Blocks(2_000_000, 16, 2048), d.InGood(Cdb.Read10(2_000_000, 16), 16 * 2048));
    }
}
