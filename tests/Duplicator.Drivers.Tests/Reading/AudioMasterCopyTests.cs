using System.Diagnostics;
using Duplicator.Drivers.Burning;
using Duplicator.Drivers.Emulation;
using Duplicator.Drivers.Imapi;
using Duplicator.Drivers.Mmc;
using Duplicator.Drivers.Reading;
using Duplicator.Drivers.Tests.Emulation;
using Duplicator.Mastering.Audio;
using Duplicator.Mastering.Images;
using Duplicator.Mastering.Imapi;
using Duplicator.Mastering.Media;

namespace Duplicator.Drivers.Tests.Reading;

/// <summary>
/// A disc-to-disc audio copy at the driver level: a 3-track master with non-default pregaps (one with hidden audio
/// before track 1, one with audio in it, one silent), index points, ISRCs, a catalog number and CD-TEXT is burned
/// disc-at-once, loaded as a master, read by <see cref="AudioDiscReader"/> and burned disc-at-once on another
/// recorder; the copy's TOC, codes, text and PCM must equal the master's, and its BIN/CUE must satisfy cdrdao and bchunk.
/// </summary>
public sealed class AudioMasterCopyTests : IDisposable
{
    private const int B = RedbookStaging.BlockSize;
    private readonly string _dir = Directory.CreateTempSubdirectory("dup-audio-copy-").FullName;
    private readonly FakeClock _clock = new();

    public void Dispose() => Directory.Delete(_dir, true);

    private sealed class NoEvents : IDiscMasterProgressEvents;

    private static byte[] Pcm(int blocks, int seed)
    {
        var b = new byte[blocks * B];
        new Random(seed).NextBytes(b);
        return b;
    }

    private static readonly CdText Text = new("Copy Test Album", "The Band", null,
        [new CdTextTrack("Opening", "The Band"), new CdTextTrack("Middle", "A Guest"), new CdTextTrack("Closing", "The Band")]);

    private RedbookStaging Original()
    {
        var s = new RedbookStaging(MediaKind.Cd80, Path.Combine(_dir, "stash-original")) { Title = Text.Title, Performer = Text.Performer, Catalog = "4006381333931" };
        s.CreateAudioTrack(0, new AudioTrackInfo("Opening", "The Band", "DEA123400001", Pregap: 225, Indexes: [150]));
        s.AddPregapBlocks(Pcm(75, 10)); // a hidden track before track 1's INDEX 01
        s.AddAudioTrackBlocks(Pcm(450, 1));
        s.CloseAudioTrack();
        s.CreateAudioTrack(0, new AudioTrackInfo("Middle", "A Guest", "DEA123400002", Pregap: 75, Indexes: [100, 200]));
        s.AddPregapBlocks(Pcm(75, 20)); // audio in the pregap (a live album's applause)
        s.AddAudioTrackBlocks(Pcm(380, 2));
        s.CloseAudioTrack();
        s.CreateAudioTrack(0, new AudioTrackInfo("Closing", "The Band", "DEA123400003", Pregap: 300));
        s.AddAudioTrackBlocks(Pcm(333, 3));
        s.CloseAudioTrack();
        return s;
    }

    private EmulatedRecorder Drive(string name, string? load = null) =>
        EmulatedRecorder.FromUrl($"emulated:cd-r?dir={Uri.EscapeDataString(Path.Combine(_dir, name))}&name={name}{(load is null ? "" : "&load=" + Uri.EscapeDataString(load))}", _clock);

    /// <summary>Burns <paramref name="disc"/> disc-at-once with verification on a new recorder; returns the emulator's .bin.</summary>
    private string BurnDao(string name, IDiscImage disc)
    {
        using var emu = Drive(name);
        using var drive = new MmcDevice(emu);
        Assert.NotNull(AudioDiscAtOnceWriter.Burn(drive, disc, new RecordOptions(Verify: true, AudioMode: AudioWriteMode.DiscAtOnce), new NoEvents(), CancellationToken.None));
        return emu.CurrentImagePath!;
    }

    private static (TableOfContents Toc, AudioDiscLayout Layout) Inspect(MmcDevice drive) => (drive.ReadToc(), AudioDiscReader.ReadLayout(drive));

    private static void AssertSameLayout(AudioDiscLayout want, AudioDiscLayout got)
    {
        Assert.Equal(want.LeadOut, got.LeadOut);
        Assert.Equal(want.Catalog, got.Catalog);
        Assert.True(want.CdText!.SameAs(got.CdText), got.CdText?.ToString());
        Assert.Equal(want.Tracks.Count, got.Tracks.Count);
        for (int i = 0; i < want.Tracks.Count; i++)
        {
            Assert.Equal(want.Tracks[i] with { Indexes = null }, got.Tracks[i] with { Indexes = null });
            Assert.Equal(want.Tracks[i].Indexes ?? [], got.Tracks[i].Indexes ?? []);
        }
    }

    [Fact]
    public void A_master_with_pregaps_indexes_isrcs_catalog_and_cd_text_is_copied_disc_to_disc_with_all_of_it()
    {
        using var original = Original();
        var originalDisc = original.Build();
        var masterBin = BurnDao("burner", originalDisc);

        // The master as a tower drive holds it, read into a fresh staging.
        using var masterDrive = new MmcDevice(Drive("master", masterBin)); // the device owns (and disposes) the emulator
        var (masterToc, masterLayout) = Inspect(masterDrive);
        Assert.True(masterLayout.PositionsFromQ);
        Assert.Equal([75L, 600L, 1280L], masterLayout.Tracks.Select(t => t.Start));
        Assert.Equal([225, 75, 300], masterLayout.Tracks.Select(t => t.Pregap));
        Assert.Equal([450L, 380L, 333L], masterLayout.Tracks.Select(t => t.Blocks));
        Assert.Equal([75L, 75L, 300L], masterLayout.Tracks.Select(t => t.ReadablePregap)); // all recorded: LBA 0 on (track 1), DAO pregaps
        Assert.Equal([225L], masterLayout.Tracks[0].Indexes!);
        Assert.Equal([700L, 800L], masterLayout.Tracks[1].Indexes!);
        Assert.Equal(["DEA123400001", "DEA123400002", "DEA123400003"], masterLayout.Tracks.Select(t => t.Isrc));
        Assert.Equal("4006381333931", masterLayout.Catalog);
        Assert.True(Text.SameAs(masterLayout.CdText), masterLayout.CdText?.ToString());
        Assert.Equal(1613L, masterLayout.LeadOut);

        using var copy = new RedbookStaging(MediaKind.Cd80, Path.Combine(_dir, "stash-copy"));
        var read = AudioDiscReader.ReadMaster(masterDrive, copy);
        var copyDisc = copy.Build();
        Assert.Equal(originalDisc.Tracks, copyDisc.Tracks, (a, b) => a with { Indexes = null } == b with { Indexes = null } && (a.Indexes ?? []).SequenceEqual(b.Indexes ?? []));
        Assert.Equal(originalDisc.ComputeSha256(), copyDisc.ComputeSha256()); // pregaps (hidden audio included) and PCM, sector for sector
        Assert.Equal(("Copy Test Album", "The Band", "4006381333931"), (copy.Title, copy.Performer, copy.Catalog));
        Assert.Equal(originalDisc.ComputeSha256(originalDisc.Tracks.Select(t => (t.StartSector, t.Length))), read.Sha256);

        // Burned on another recorder and loaded again: the same TOC, codes, text and audio.
        var copyBin = BurnDao("copier", copyDisc);
        using var copyDrive = new MmcDevice(Drive("check", copyBin));
        var (copyToc, copyLayout) = Inspect(copyDrive);
        Assert.Equal(masterToc.Entries, copyToc.Entries);
        AssertSameLayout(masterLayout, copyLayout);
        using var again = new RedbookStaging(MediaKind.Cd80, Path.Combine(_dir, "stash-again"));
        Assert.Equal(read.Sha256, AudioDiscReader.ReadMaster(copyDrive, again).Sha256);
        Assert.Equal(originalDisc.ComputeSha256(), again.Build().ComputeSha256());
    }

    [Fact]
    public void The_bin_cue_of_a_read_master_is_accepted_by_cdrdao_and_split_by_bchunk_into_its_tracks()
    {
        using var original = Original();
        var masterBin = BurnDao("burner", original.Build());
        using var masterDrive = new MmcDevice(Drive("master", masterBin));
        using var copy = new RedbookStaging(MediaKind.Cd80, Path.Combine(_dir, "stash-copy"));
        AudioDiscReader.ReadMaster(masterDrive, copy);
        var cue = Path.Combine(_dir, "out", "master.cue");
        Directory.CreateDirectory(Path.GetDirectoryName(cue)!);
        BinCueWriter.Write(copy.Build(), cue);

        // bchunk lists every index it parsed per track (as M:S:F in the BIN): pregaps (00), starts (01) and index points.
        var split = Path.Combine(_dir, "split");
        Directory.CreateDirectory(split);
        var listing = Run("bchunk", _dir, "-w", BinCueWriter.BinPathFor(cue), cue, Path.Combine(split, "all"));
        Assert.Contains("Track  1: AUDIO         00 00:00:00 01 00:01:00 02 00:03:00", listing);
        Assert.Contains("Track  2: AUDIO         00 00:07:00 01 00:08:00 02 00:09:25 03 00:10:50", listing);
        Assert.Contains("Track  3: AUDIO         00 00:13:05 01 00:17:05", listing);

        // Neither reader places INDEX 02+ inside a track (cdrdao 1.2.4 offsets them from the file, "Index beyond track
        // end"; bchunk starts a track at its last index), so the layout checks below read the sheet without those lines.
        var plain = Path.Combine(Path.GetDirectoryName(cue)!, "plain.cue");
        File.WriteAllLines(plain, File.ReadAllLines(cue).Where(l => !System.Text.RegularExpressions.Regex.IsMatch(l, @"^\s*INDEX (0[2-9]|[1-9]\d) ")));
        var toc = Run("cdrdao", Path.GetDirectoryName(cue)!, "show-toc", plain);
        Assert.Contains("CATALOG NUMBER: 4006381333931", toc);
        var sections = toc.Split("TRACK  ");
        Assert.Equal(4, sections.Length);
        string[][] want =
        [
            ["ISRC DE A12 34 00001", "PREGAP 00:01:00(    75)", "START  00:01:00(    75)", "END    00:07:00(   525)"], // + the 2 s before LBA 0
            ["ISRC DE A12 34 00002", "PREGAP 00:01:00(    75)", "START  00:08:00(   600)", "END    00:13:05(   980)"],
            ["ISRC DE A12 34 00003", "PREGAP 00:04:00(   300)", "START  00:17:05(  1280)", "END    00:21:38(  1613)"],
        ];
        for (int i = 0; i < 3; i++)
            foreach (var line in want[i]) Assert.Contains(line, sections[i + 1]);
        var info = Run("cdrdao", Path.GetDirectoryName(cue)!, "toc-info", plain);
        Assert.DoesNotContain("ERROR", info);

        // bchunk cuts each track from its INDEX 01 to the next track's INDEX 00: exactly the track's own audio.
        Run("bchunk", _dir, "-w", BinCueWriter.BinPathFor(cue), plain, Path.Combine(split, "t"));
        var expected = new[] { Pcm(450, 1), Pcm(380, 2), Pcm(333, 3) };
        for (int i = 0; i < 3; i++)
        {
            var wav = File.ReadAllBytes(Path.Combine(split, $"t{i + 1:00}.wav"));
            Assert.True(wav.AsSpan(44).SequenceEqual(expected[i]), $"track {i + 1}: bchunk cut {wav.Length - 44} bytes, expected {expected[i].Length}");
        }
    }

    [Fact]
    public void A_cue_with_pregap_index_00_and_index_02_loads_as_a_master_and_reads_with_its_codes_and_text()
    {
        var bin = Path.Combine(_dir, "hand.bin");
        File.WriteAllBytes(bin, Concat(Pcm(500, 5), Pcm(400, 6)));
        var cue = Path.Combine(_dir, "hand.cue");
        File.WriteAllText(cue, """
            CATALOG 0012345678905
            PERFORMER "Hand"
            TITLE "Made"
            FILE "hand.bin" BINARY
              TRACK 01 AUDIO
                TITLE "First"
                ISRC GBAAA2500001
                INDEX 01 00:00:00
                INDEX 02 00:03:00
              TRACK 02 AUDIO
                TITLE "Second"
                PREGAP 00:01:00
                INDEX 00 00:06:00
                INDEX 01 00:06:50
            """);
        using var master = Drive("master", cue);
        using var drive = new MmcDevice(master);
        using var copy = new RedbookStaging(MediaKind.Cd80, Path.Combine(_dir, "stash"));
        var read = AudioDiscReader.ReadMaster(drive, copy);
        var l = read.Layout;
        // Track 2: 75 blocks of PREGAP silence (not in the BIN) then 50 of INDEX 00 from the BIN: a 125-block pregap.
        Assert.Equal([0L, 575L], l.Tracks.Select(t => t.Start));
        Assert.Equal([150, 125], l.Tracks.Select(t => t.Pregap));
        Assert.Equal([450L, 400L], l.Tracks.Select(t => t.Blocks));
        Assert.Equal([225L], l.Tracks[0].Indexes!);
        Assert.Equal(["GBAAA2500001", null], l.Tracks.Select(t => t.Isrc));
        Assert.Equal("0012345678905", l.Catalog);
        Assert.Equal(("Made", "Hand"), (l.CdText!.Title, l.CdText.Performer));
        Assert.Equal(["First", "Second"], l.Tracks.Select(t => t.Title));
        var disc = copy.Build();
        var all = new byte[disc.SectorCount * B];
        disc.Read(0, all);
        var first = Pcm(500, 5);
        Assert.Equal(first.AsSpan(0, 450 * B).ToArray(), all.AsSpan(150 * B, 450 * B).ToArray()); // track 1
        Assert.True(all.AsSpan(600 * B, 75 * B).IndexOfAnyExcept((byte)0) < 0);                     // track 2's PREGAP: silence
        Assert.Equal(first.AsSpan(450 * B).ToArray(), all.AsSpan(675 * B, 50 * B).ToArray());      // then its INDEX 00 audio from the BIN
        Assert.Equal(Pcm(400, 6), all.AsSpan(725 * B).ToArray());
    }

    [Fact]
    public void Cd_text_that_cannot_be_written_fails_the_burn_before_the_drive_is_touched()
    {
        using var s = new RedbookStaging(MediaKind.Cd80, Path.Combine(_dir, "stash")) { Title = "Caf\u00e9 \u2010 Bar" };
        s.CreateAudioTrack();
        s.AddAudioTrackBlocks(Pcm(300, 1));
        s.CloseAudioTrack();
        using var emu = Drive("burner");
        using var drive = new MmcDevice(emu);
        var e = Assert.Throws<ImapiException>(() => AudioDiscAtOnceWriter.Burn(drive, s.Build(), new RecordOptions(), new NoEvents(), CancellationToken.None));
        Assert.Equal(ImapiError.InvalidInput, e.Code);
        Assert.Contains("U+2010", e.Message);
        Assert.Null(emu.CurrentImagePath); // nothing written
    }

    private static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(p => p)];

    private static string Run(string tool, string dir, params string[] args)
    {
        var psi = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = dir };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"{tool} did not start (is it installed? scripts/install-deps.sh)");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{tool} {string.Join(' ', args)} exited {p.ExitCode}: {stderr}");
        return stdout.Result + stderr;
    }
}
