using System.Text.Json;
using Duplicator.Drivers.Burning;
using Duplicator.Drivers.Emulation;
using Duplicator.Drivers.Imapi;
using Duplicator.Drivers.Mmc;
using Duplicator.Drivers.Scsi;
using Duplicator.Mastering.Audio;
using Duplicator.Mastering.Images;
using Duplicator.Mastering.Imapi;
using Duplicator.Mastering.Media;

namespace Duplicator.Drivers.Tests.Burning;

public sealed class AudioDiscAtOnceWriterTests : IDisposable
{
    private const int B = 2352;
    private static readonly RecordOptions Dao = new(Verify: true, AudioMode: AudioWriteMode.DiscAtOnce);
    private readonly string _dir = Directory.CreateTempSubdirectory("dup-dao-burn-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private sealed class Events : IDiscMasterProgressEvents
    {
        public int Tracks;
        public long Blocks;
        public void NotifyTrackProgress(int completedTracks, int totalTracks) => Tracks = completedTracks;
        public void NotifyBlockProgress(long completedBlocks, long totalBlocks) => Blocks = completedBlocks;
    }

    private (RedbookStaging Staging, byte[][] Pcm) Stage(int[] blocks, string?[]? isrcs = null, bool allowShort = false)
    {
        var s = new RedbookStaging(MediaKind.Cd80, Path.Combine(_dir, "stash")) { AllowShortTracks = allowShort };
        var pcm = new byte[blocks.Length][];
        for (int i = 0; i < blocks.Length; i++)
        {
            pcm[i] = new byte[blocks[i] * B];
            new Random(i + 7).NextBytes(pcm[i]);
            s.CreateAudioTrack(blocks[i], new AudioTrackInfo(Isrc: isrcs?[i]));
            s.AddAudioTrackBlocks(pcm[i]);
            s.CloseAudioTrack();
        }
        return (s, pcm);
    }

    private EmulatedRecorder Emu(string name, string extra = "") => EmulatedRecorder.FromUrl($"emulated:cd-r?dir={_dir}&name={name}{extra}");

    private static JsonElement Toc(EmulatedRecorder emu) => JsonDocument.Parse(File.ReadAllText(emu.CurrentTocPath!)).RootElement;

    [Fact]
    public void Dao_burn_reads_back_through_READ_CD_as_the_staged_pcm_with_isrc_and_catalog_in_the_toc()
    {
        var (staging, pcm) = Stage([300, 420, 333], [null, "GBAYE0601498", null]);
        using (staging)
        {
            staging.Catalog = "0724384260925";
            var disc = staging.Build();
            using var emu = Emu("cd");
            using var recorder = new MmcDiscRecorder(emu);
            var events = new Events();
            var sha = recorder.Record(disc, Dao, events, CancellationToken.None);
            Assert.NotNull(sha);
            Assert.Equal(3, events.Tracks);
            Assert.Equal(disc.SectorCount, events.Blocks); // every block from LBA -150 to the lead-out
            var drive = recorder.Device;
            Assert.Equal(DiscStatus.Complete, drive.ReadDiscInformation().Status);

            // Each track read back with READ CD from where the TOC puts it is the staged PCM, byte for byte.
            var toc = drive.ReadToc();
            var starts = toc.Tracks.Select(t => t.Start).ToArray();
            Assert.Equal([0L, 300 + 150, 300 + 150 + 420 + 150], starts);
            Assert.Equal(300 + 150 + 420 + 150 + 333L, toc.LeadOut!.Start);
            for (int i = 0; i < pcm.Length; i++)
            {
                var back = new byte[pcm[i].Length];
                for (int done = 0; done < back.Length / B; done += 27)
                    drive.ReadCdAudio(starts[i] + done, back.AsSpan(done * B, Math.Min(27, back.Length / B - done) * B));
                Assert.True(back.AsSpan().SequenceEqual(pcm[i]), $"track {i + 1} differs");
            }

            // The drive's TOC file holds the cue sheet's track starts, the ISRC and the catalog number.
            var json = Toc(emu);
            var sheet = MmcCueSheet.ForAudio(disc);
            Assert.Equal(sheet.Tracks.Select(t => t.Start), json.GetProperty("tracks").EnumerateArray().Select(t => t.GetProperty("start").GetInt64()));
            Assert.Equal("GBAYE0601498", json.GetProperty("tracks")[1].GetProperty("isrc").GetString());
            Assert.False(json.GetProperty("tracks")[0].TryGetProperty("isrc", out _));
            Assert.Equal("0724384260925", json.GetProperty("catalog").GetString());
            // The 2 s pregap before track 2 is silence on the disc.
            var bin = File.ReadAllBytes(emu.CurrentImagePath!);
            Assert.True(bin.AsSpan(300 * B, 150 * B).IndexOfAnyExcept((byte)0) < 0);
        }
    }

    [Fact]
    public void Dao_keeps_a_bin_cue_gapless_where_track_at_once_would_insert_2_s()
    {
        // Track 2 has a 75-block pregap holding sound (INDEX 00 at 00:04:00, 01 at 00:05:00); track 3 follows with none.
        var bin = new byte[(300 + 75 + 300 + 310) * B];
        new Random(3).NextBytes(bin);
        File.WriteAllBytes(Path.Combine(_dir, "album.bin"), bin);
        var cuePath = Path.Combine(_dir, "album.cue");
        File.WriteAllText(cuePath, """
            FILE "album.bin" BINARY
              TRACK 01 AUDIO
                INDEX 01 00:00:00
              TRACK 02 AUDIO
                ISRC USRC17607839
                INDEX 00 00:04:00
                INDEX 01 00:05:00
              TRACK 03 AUDIO
                INDEX 01 00:09:00
            """);
        var image = CueSheetImage.Open(cuePath);
        using var emu = Emu("gapless");
        using var recorder = new MmcDiscRecorder(emu);
        Assert.NotNull(recorder.Record(image, Dao, new Events(), CancellationToken.None));

        var toc = recorder.Device.ReadToc();
        Assert.Equal([0L, 375, 675], toc.Tracks.Select(t => t.Start));
        Assert.Equal(985L, toc.LeadOut!.Start);
        // Disc LBA 0 onward is the BIN as it is, pregap sound included.
        var burned = File.ReadAllBytes(emu.CurrentImagePath!);
        Assert.True(burned.AsSpan(0, bin.Length).SequenceEqual(bin));
        Assert.Equal("USRC17607839", Toc(emu).GetProperty("tracks")[1].GetProperty("isrc").GetString());
    }

    [Fact]
    public void Dao_simulation_runs_the_whole_sequence_and_leaves_the_cd_blank()
    {
        var (staging, _) = Stage([300, 300]);
        using (staging)
        {
            using var emu = Emu("sim");
            using var drive = new MmcDevice(emu);
            Assert.Null(AudioDiscAtOnceWriter.Burn(drive, staging.Build(), Dao with { Simulate = true }, new Events(), CancellationToken.None));
            Assert.Equal((600 + 300) * (long)B, emu.BytesWritten); // both pregaps and both tracks went to the drive
            Assert.Equal(DiscStatus.Blank, drive.ReadDiscInformation().Status);
        }
    }

    private sealed class KnownHash(IDiscImage inner, byte[] sha) : IDiscImage, IContentHashed
    {
        public int SectorSize => inner.SectorSize;
        public long SectorCount => inner.SectorCount;
        public IReadOnlyList<TrackInfo> Tracks => inner.Tracks;
        public byte[] ContentSha256 => sha;
        public void Read(long firstSector, Span<byte> destination) => inner.Read(firstSector, destination);
    }

    [Fact]
    public void Verification_compares_with_the_known_content_hash_and_fails_when_it_differs()
    {
        var (staging, pcm) = Stage([300, 310]);
        using (staging)
        {
            var disc = staging.Build();
            var right = System.Security.Cryptography.SHA256.HashData([.. pcm[0], .. pcm[1]]);
            using (var drive = new MmcDevice(Emu("known")))
                Assert.Equal(right, AudioDiscAtOnceWriter.Burn(drive, new KnownHash(disc, right), Dao, new Events(), CancellationToken.None));
            var wrong = (byte[])right.Clone();
            wrong[0] ^= 1;
            using var other = new MmcDevice(Emu("wrong"));
            var e = Assert.Throws<VerificationException>(() => AudioDiscAtOnceWriter.Burn(other, new KnownHash(disc, wrong), Dao, new Events(), CancellationToken.None));
            Assert.Equal(ImapiError.CannotWriteToMedia, e.Code);
            Assert.Contains("verification failed", e.Message);
        }
    }

    [Fact]
    public void A_layout_the_drive_would_refuse_fails_before_anything_is_sent()
    {
        var (staging, _) = Stage([300, 299], allowShort: true);
        using (staging)
        {
            using var emu = Emu("short");
            using var drive = new MmcDevice(emu);
            var e = Assert.Throws<ImapiException>(() => AudioDiscAtOnceWriter.Burn(drive, staging.Build(), Dao, new Events(), CancellationToken.None));
            Assert.Equal(ImapiError.InvalidImage, e.Code);
            Assert.Contains("track 2 is 299 blocks", e.Message);
            Assert.Equal(0, emu.BytesWritten);
        }
        var (big, _) = Stage([300, 300]);
        using (big)
        {
            using var emu = Emu("small", "&capacity=700");
            using var drive = new MmcDevice(emu);
            Assert.Equal(ImapiError.DiscFull, Assert.Throws<ImapiException>(() => AudioDiscAtOnceWriter.Burn(drive, big.Build(), Dao, new Events(), CancellationToken.None)).Code);
            Assert.Equal(0, emu.BytesWritten);
            Assert.Equal(DiscStatus.Blank, drive.ReadDiscInformation().Status);
        }
    }

    private static SenseData? SenseOf(Action a) => Assert.Throws<ScsiCommandException>(a).Sense;

    [Fact]
    public void The_emulator_rejects_wrong_cue_sheets_with_the_sense_MMC_gives()
    {
        var (staging, _) = Stage([300, 300], [null, "GBAYE0601498"]);
        using (staging)
        {
            var good = MmcCueSheet.ForAudio(staging.Build()).ToArray();
            using var drive = new MmcDevice(Emu("reject"));

            // Write type still TAO: a cue sheet is out of sequence.
            drive.SetWriteParameters(writeType: 1, testWrite: false, trackMode: 0, dataBlockType: 0);
            Assert.Equal("05/2C/00", SenseOf(() => drive.SendCueSheet(good))?.Code);

            drive.SetWriteParameters(writeType: 2, testWrite: false, trackMode: 0, dataBlockType: 0);
            // Track 2's INDEX 01 moved to 100 blocks after track 1's: shorter than 4 s.
            var shortTrack = (byte[])good.Clone();
            int t2 = Entry(shortTrack, tno: 2, index: 1);
            shortTrack[t2 + 5] = 0; shortTrack[t2 + 6] = 3; shortTrack[t2 + 7] = 25; // 00:03:25 = LBA 100
            int t2Gap = Entry(shortTrack, tno: 2, index: 0);
            shortTrack[t2Gap + 5] = 0; shortTrack[t2Gap + 6] = 3; shortTrack[t2Gap + 7] = 0; // keep the entries in order
            Assert.Equal("05/26/00", SenseOf(() => drive.SendCueSheet(shortTrack))?.Code);

            // An ISRC with a lower-case owner code.
            var badIsrc = (byte[])good.Clone();
            int isrc = Array.FindIndex(Enumerable.Range(0, badIsrc.Length / 8).ToArray(), i => (badIsrc[i * 8] & 0x0F) == 3) * 8;
            badIsrc[isrc + 4] = (byte)'b';
            Assert.Equal("05/26/00", SenseOf(() => drive.SendCueSheet(badIsrc))?.Code);

            // Not at least three entries.
            Assert.Equal("05/1A/00", SenseOf(() => drive.SendCueSheet(good.AsSpan(0, 16)))?.Code);

            // The good sheet is taken; then writing must start at LBA -150, not 0.
            drive.SendCueSheet(good);
            Assert.Equal("05/21/02", SenseOf(() => drive.Write10(0, B, new byte[B]))?.Code);
            // and in 2352-byte blocks only.
            Assert.Equal("05/64/00", SenseOf(() => drive.Write10(-150, 2048, new byte[2048]))?.Code);
        }
        // A lead-out past the medium's capacity.
        var (big, _) = Stage([300, 300]);
        using (big)
        {
            using var small = new MmcDevice(Emu("cap", "&capacity=700"));
            small.SetWriteParameters(writeType: 2, testWrite: false, trackMode: 0, dataBlockType: 0);
            Assert.Equal("05/21/00", SenseOf(() => small.SendCueSheet(MmcCueSheet.ForAudio(big.Build()).ToArray()))?.Code);
        }
    }

    private static int Entry(byte[] sheet, byte tno, byte index)
    {
        for (int o = 0; o < sheet.Length; o += 8)
            if ((sheet[o] & 0x0F) == 1 && sheet[o + 1] == tno && sheet[o + 2] == index) return o;
        throw new InvalidOperationException($"no entry for track {tno} index {index}");
    }
}
