using System.Buffers.Binary;
using Duplicator.Drivers.Emulation;
using Duplicator.Mastering.Audio;
using Duplicator.Mastering.Imapi;
using Duplicator.Mastering.Media;
using CueSheet = Duplicator.Drivers.Mmc.MmcCueSheet;

namespace Duplicator.Drivers.Tests.Emulation;

/// <summary>
/// The emulated drive's Q sub-channel, catalog number, ISRC and CD-TEXT, through hand-made CDBs: a disc-at-once
/// session with a CD-TEXT lead-in, INDEX 00/02 and ISRC/MCN cue sheet entries is burned and read back; bad lead-in
/// data and bad requests get the sense a drive gives.
/// </summary>
public sealed class EmulatedRecorderSubchannelTests : IDisposable
{
    private const int B = 2352;
    private const long LeadIn = -11634; // the ATIP's 97:26:66
    private readonly string _stash = Directory.CreateTempSubdirectory("dup-subq-").FullName;

    public void Dispose() => Directory.Delete(_stash, true);

    private static readonly CdText Text = new("Album", "Band", null, [new CdTextTrack("One", "Band"), new CdTextTrack("Two", "Guest")]);

    // Track 1 (pregap 150, INDEX 02 at +100, ISRC), track 2 (pregap 90), MCN: program -150..0 pregap, 0..400, 400..490 pregap, 490..800.
    private (byte[] Sheet, long LeadOut, byte[] Audio) Session()
    {
        using var s = new RedbookStaging(MediaKind.Cd80, _stash) { Catalog = "0123456789012", Title = Text.Title, Performer = Text.Performer };
        s.CreateAudioTrack(0, new AudioTrackInfo("One", "Band", "USXYZ2500001", Indexes: [100]));
        s.AddAudioTrackBlocks(new byte[400 * B]);
        s.CloseAudioTrack();
        s.CreateAudioTrack(0, new AudioTrackInfo("Two", "Guest", Pregap: 90));
        s.AddAudioTrackBlocks(new byte[310 * B]);
        s.CloseAudioTrack();
        var disc = s.Build();
        var sheet = CueSheet.ForAudio(disc, cdTextInLeadIn: true);
        var audio = new byte[disc.SectorCount * B];
        new Random(7).NextBytes(audio);
        return (sheet.ToArray(), sheet.LeadOut, audio);
    }

    private static byte[] LeadInBlocks(byte[] packs, int blocks, int corruptPack = -1)
    {
        var d = new byte[blocks * 96];
        int count = packs.Length / 18;
        var pack = new byte[18];
        for (int k = 0; k < blocks * 4; k++)
        {
            packs.AsSpan((k % count) * 18, 18).CopyTo(pack);
            if (k == corruptPack) pack[5] ^= 0x01;
            CdTextPacks.ToSixBit(pack, d.AsSpan(k * 24, 24));
        }
        return d;
    }

    private static void Prepare(EmuDrive d, byte[] sheet)
    {
        Sense.Good(d.Out(Cdb.ModeSelect(60), Cdb.WriteParameters(writeType: 2, dataBlockType: 0, trackMode: 0)));
        Sense.Good(d.Out(Cdb.SendCueSheet(sheet.Length), sheet));
    }

    private static void Burn(EmuDrive d, byte[] packs, long leadOut, byte[] audio)
    {
        const int chunk = 64;
        var lead = LeadInBlocks(packs, (int)(-150 - LeadIn));
        for (long lba = LeadIn; lba < -150; lba += chunk)
        {
            int n = (int)Math.Min(chunk, -150 - lba);
            Sense.Good(d.Out(Cdb.Write10(lba, n), lead[(int)((lba - LeadIn) * 96)..(int)((lba - LeadIn + n) * 96)]));
        }
        for (long lba = -150; lba < leadOut; lba += chunk)
        {
            int n = (int)Math.Min(chunk, leadOut - lba);
            Sense.Good(d.Out(Cdb.Write10(lba, n), audio[(int)((lba + 150) * B)..(int)((lba + 150 + n) * B)]));
        }
        Sense.Good(d.Run(Cdb.SyncCache()));
    }

    private static byte[] ReadQ(EmuDrive d, long lba)
    {
        var c = Cdb.ReadCd(lba, 1, expectedType: 1, flags: 0x00);
        c[10] = 0x02; // formatted Q
        var (r, q) = d.In(c, 16);
        Sense.Good(r);
        return q;
    }

    private static byte[] SubChannel(EmuDrive d, byte format, byte track = 0)
    {
        var (r, data) = d.In([0x42, 0, 0x40, format, 0, 0, track, 0, 24, 0], 24);
        Sense.Good(r);
        return data;
    }

    [Fact]
    public void A_dao_session_keeps_its_cd_text_lead_in_index_points_isrc_and_catalog_and_serves_them()
    {
        var (sheet, leadOut, audio) = Session();
        var packs = CdTextPacks.Encode(Text);
        using var d = new EmuDrive(EmulatedProfile.CdR);
        Prepare(d, sheet);
        Burn(d, packs, leadOut, audio);

        var (r, toc5) = d.In(Cdb.ReadToc(5), 4 + 18 * 200);
        Sense.Good(r);
        Assert.Equal(packs.Length + 2, BinaryPrimitives.ReadUInt16BigEndian(toc5));
        Assert.Equal(packs, toc5[4..]);

        var mcn = SubChannel(d, 0x02);
        Assert.Equal(0x80, mcn[8] & 0x80);
        Assert.Equal("0123456789012", System.Text.Encoding.ASCII.GetString(mcn, 9, 13));
        var isrc = SubChannel(d, 0x03, 1);
        Assert.Equal("USXYZ2500001", System.Text.Encoding.ASCII.GetString(isrc, 9, 12));
        Assert.Equal(0, SubChannel(d, 0x03, 2)[8] & 0x80); // track 2 has none: TCVal clear

        // Q: CONTROL/ADR, TNO, INDEX, relative M:S:F, 0, absolute M:S:F, BCD.
        Assert.Equal(new byte[] { 0x01, 0x01, 0x01, 0x00, 0x00, 0x00, 0, 0x00, 0x02, 0x00 }, ReadQ(d, 0)[..10]);
        Assert.Equal(new byte[] { 0x01, 0x01, 0x02, 0x00, 0x01, 0x25 }, ReadQ(d, 100)[..6]);   // INDEX 02, 1 s 25 f after INDEX 01
        Assert.Equal(new byte[] { 0x01, 0x02, 0x00, 0x00, 0x01, 0x15 }, ReadQ(d, 400)[..6]);   // track 2's pregap: 90 frames to INDEX 01, counting down
        Assert.Equal(0x80, ReadQ(d, 400)[15]);                                                   // P channel set in the pause
        Assert.Equal(new byte[] { 0x01, 0x02, 0x01, 0x00, 0x00, 0x00, 0, 0x00, 0x08, 0x40 }, ReadQ(d, 490)[..10]); // 00:08:40 absolute

        var json = File.ReadAllText(Path.ChangeExtension(d.Recorder.CurrentImagePath!, ".json"));
        Assert.Contains("\"pregapStart\": 400", json);
        Assert.Contains("\"indexes\": [", json);
        Assert.Contains($"\"cdText\": \"{Convert.ToHexString(packs)}\"", json);
    }

    [Fact]
    public void A_lead_in_pack_with_a_bad_crc_or_a_wrong_block_size_or_address_is_refused()
    {
        var (sheet, _, _) = Session();
        var packs = CdTextPacks.Encode(Text);
        using var d = new EmuDrive(EmulatedProfile.CdR);
        Prepare(d, sheet);
        Sense.Is(d.Out(Cdb.Write10(LeadIn + 1, 1), LeadInBlocks(packs, 1)), 0x5, 0x21, 0x02);        // not at the lead-in start
        Sense.Is(d.Out(Cdb.Write10(LeadIn, 1), new byte[B]), 0x5, 0x64, 0x00);                        // a 2352-byte block in the lead-in
        Sense.Is(d.Out(Cdb.Write10(LeadIn, 2), LeadInBlocks(packs, 2, corruptPack: 5)), 0x5, 0x26, 0x00);
        Sense.Is(d.Out(Cdb.Write10(-150, 1), new byte[B]), 0x5, 0x21, 0x02);                          // the program before the lead-in
    }

    [Fact]
    public void Read_sub_channel_formats_it_does_not_serve_and_raw_sub_channel_are_invalid_fields()
    {
        var (sheet, leadOut, audio) = Session();
        using var d = new EmuDrive(EmulatedProfile.CdR);
        Prepare(d, sheet);
        Burn(d, CdTextPacks.Encode(Text), leadOut, audio);
        Sense.Is(d.In([0x42, 0, 0x40, 0x01, 0, 0, 0, 0, 24, 0], 24).Result, 0x5, 0x24, 0x00);
        Sense.Is(d.In([0x42, 0, 0x40, 0x03, 0, 0, 9, 0, 24, 0], 24).Result, 0x5, 0x24, 0x00); // no track 9
        var raw = Cdb.ReadCd(0, 1, expectedType: 1);
        raw[10] = 0x01; // raw P-W
        Sense.Is(d.In(raw, B + 96).Result, 0x5, 0x24, 0x00);
    }

    [Fact]
    public void A_sidecar_whose_cd_text_or_index_points_are_broken_does_not_load()
    {
        var (sheet, leadOut, audio) = Session();
        using var d = new EmuDrive(EmulatedProfile.CdR);
        Prepare(d, sheet);
        Burn(d, CdTextPacks.Encode(Text), leadOut, audio);
        var bin = d.Recorder.CurrentImagePath!;
        var json = Path.ChangeExtension(bin, ".json");
        var good = File.ReadAllText(json);
        string Load() => Assert.Throws<ImapiException>(() => EmulatedRecorder.FromUrl($"emulated:cd-r?dir={Uri.EscapeDataString(Path.Combine(_stash, "m"))}&load={Uri.EscapeDataString(bin)}").Dispose()).Message;

        var hex = Convert.ToHexString(CdTextPacks.Encode(Text));
        File.WriteAllText(json, good.Replace(hex, hex[..^2] + (hex[^2..] == "00" ? "01" : "00")));
        Assert.Contains("CD-TEXT that does not decode", Load());
        File.WriteAllText(json, good.Replace("\"pregapStart\": 400", "\"pregapStart\": 600"));
        Assert.Contains("pregap start 600", Load());
        File.WriteAllText(json, good.Replace("\"catalog\": \"0123456789012\"", "\"catalog\": \"12AB\""));
        Assert.Contains("not 13 digits", Load());
        File.WriteAllText(json, good);
        EmulatedRecorder.FromUrl($"emulated:cd-r?dir={Uri.EscapeDataString(Path.Combine(_stash, "m"))}&load={Uri.EscapeDataString(bin)}").Dispose();
    }
}
