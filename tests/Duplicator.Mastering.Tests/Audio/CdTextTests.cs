using CsCheck;
using Duplicator.Mastering.Audio;
using Duplicator.Mastering.Imapi;

namespace Duplicator.Mastering.Tests.Audio;

public sealed class CdTextTests
{
    private static byte[] Hex(string s) => Convert.FromHexString(s.Replace(" ", ""));

    // Sony's example block, as quoted in libburn's doc/cdtext.txt: three size information packs and two TOC packs,
    // CRCs included. None of these bytes come from our encoder.
    private const string SonySizeInfo0 = "8f 00 2a 00 01 01 03 00 06 05 04 05 07 06 01 02 48 65";
    private const string SonySizeInfo1 = "8f 01 2b 00 00 00 00 00 00 00 06 03 2c 00 00 00 c0 20";
    private const string SonySizeInfo2 = "8f 02 2c 00 00 00 00 00 09 00 00 00 00 00 00 00 11 45";
    private const string SonyToc0 = "88 00 23 00 01 0e 00 3f 02 12 00 00 00 00 00 00 12 00";
    private const string SonyToc1 = "88 01 24 00 00 02 00 04 0b 19 08 02 32 0b 2f 3e 67 2d";

    [Theory]
    [InlineData(SonySizeInfo0)]
    [InlineData(SonySizeInfo1)]
    [InlineData(SonySizeInfo2)]
    [InlineData(SonyToc0)]
    [InlineData(SonyToc1)]
    public void Pack_crc_matches_the_published_sony_packs(string pack)
    {
        var p = Hex(pack);
        Assert.Equal((ushort)((p[16] << 8) | p[17]), CdTextPacks.Crc(p));
        Assert.True(CdTextPacks.CrcValid(p));
        p[5] ^= 0x01;
        Assert.False(CdTextPacks.CrcValid(p));
    }

    [Fact]
    public void Six_bit_lead_in_form_of_a_pack_matches_libburns_published_example()
    {
        var pack = Hex(SonySizeInfo0);
        var symbols = new byte[24];
        CdTextPacks.ToSixBit(pack, symbols);
        Assert.Equal(Hex("23 30 00 2A 00 00 04 01 00 30 00 06 01 10 10 05 01 30 18 01 00 24 21 25"), symbols);
        var back = new byte[18];
        CdTextPacks.FromSixBit(symbols, back);
        Assert.Equal(pack, back);
    }

    [Fact]
    public void Encoding_an_album_with_one_track_gives_the_packs_the_spec_lays_out()
    {
        // Derived by hand from MMC-6 Annex J / the size information layout, CRCs aside (checked against Sony's packs above).
        var packs = CdTextPacks.Encode(new CdText("AB", null, null, [new CdTextTrack("C")]));
        string?[] want =
        [
            "80 00 00 00 41 42 00 43 00 00 00 00 00 00 00 00", // "AB\0" album, "C\0" track 1, padding
            "8f 00 01 00 00 01 01 00 01 00 00 00 00 00 00 00", // Latin-1, tracks 1..1, copyright 0, 1 title pack, 0 performer...
            "8f 01 02 00 00 00 00 00 00 00 00 03 03 00 00 00", // ... 0 of 8Ah..8Eh, 3 of 8Fh, last sequence 3 (block 0)
            "8f 02 03 00 00 00 00 00 09 00 00 00 00 00 00 00", // block 0 language 09h (English)
        ];
        Assert.Equal(want.Length * 18, packs.Length);
        for (int i = 0; i < want.Length; i++)
        {
            var p = packs.AsSpan(i * 18, 18);
            Assert.Equal(Hex(want[i]!), p[..16].ToArray());
            Assert.True(CdTextPacks.CrcValid(p), $"pack {i}");
        }
    }

    [Fact]
    public void A_text_running_over_a_pack_boundary_carries_its_character_position()
    {
        var packs = CdTextPacks.Encode(new CdText("ABCDEFGHIJ", null, null, [new CdTextTrack("0123456789")]));
        // Pack 0: "ABCDEFGHIJ\0" + '0'; pack 1 starts inside track 1's text after 1 character.
        Assert.Equal(0, packs[1]);
        Assert.Equal(1, packs[18 + 1]);
        Assert.Equal(1, packs[18 + 3]);
        Assert.Equal((byte)'1', packs[18 + 4]);
    }

    [Fact]
    public void Decoding_reads_titles_performers_codes_and_tab_repeats()
    {
        var text = new CdText("Album", "Band", "0123456789012",
            [new CdTextTrack("One", "Band", "USABC2400001"), new CdTextTrack("Two", "Guest", "USABC2400002"), new CdTextTrack("Three", null, null)]);
        var decoded = CdTextPacks.Decode(CdTextPacks.Encode(text));
        Assert.True(text.SameAs(decoded), decoded?.ToString());
    }

    [Fact]
    public void Decoding_a_tab_text_repeats_the_previous_tracks()
    {
        // Hand-made block: title packs "X\0Y\0\t\0" for album, track 1, track 2 (TAB = as track 1).
        var title = Hex("80 00 00 00 58 00 59 00 09 00 00 00 00 00 00 00 00 00");
        var s0 = Hex("8f 00 01 00 00 01 02 00 01 00 00 00 00 00 00 00 00 00");
        var s1 = Hex("8f 01 02 00 00 00 00 00 00 00 00 03 03 00 00 00 00 00");
        var s2 = Hex("8f 02 03 00 00 00 00 00 09 00 00 00 00 00 00 00 00 00");
        var all = new List<byte>();
        foreach (var p in new[] { title, s0, s1, s2 })
        {
            var crc = CdTextPacks.Crc(p);
            p[16] = (byte)(crc >> 8);
            p[17] = (byte)crc;
            all.AddRange(p);
        }
        var decoded = CdTextPacks.Decode(all.ToArray())!;
        Assert.Equal("X", decoded.Title);
        Assert.Equal(["Y", "Y"], decoded.Tracks.Select(t => t.Title));
    }

    [Fact]
    public void A_pack_with_a_bad_crc_fails_decoding_naming_it()
    {
        var packs = CdTextPacks.Encode(new CdText("Album", null, null, [new CdTextTrack("One")]));
        packs[18 + 6] ^= 0x40;
        var e = Assert.Throws<InvalidDataException>(() => CdTextPacks.Decode(packs));
        Assert.Contains("pack 1", e.Message);
    }

    [Fact]
    public void Counts_that_disagree_with_the_size_information_fail_decoding()
    {
        var packs = CdTextPacks.Encode(new CdText("Album", null, null, [new CdTextTrack("One")]));
        Assert.Contains("size information", Assert.Throws<InvalidDataException>(() => CdTextPacks.Decode(packs.AsSpan(18).ToArray())).Message);
        Assert.Throws<InvalidDataException>(() => CdTextPacks.Decode(packs.AsSpan(0, 17).ToArray()));
    }

    [Fact]
    public void Text_that_is_not_latin1_or_too_long_is_refused_naming_it()
    {
        var e = Assert.Throws<ImapiException>(() => CdTextPacks.Encode(new CdText("A\u2010B", null, null, [new CdTextTrack("x")])));
        Assert.Equal(ImapiError.InvalidInput, e.Code);
        Assert.Contains("U+2010", e.Message);
        var huge = new CdText(new string('x', 4000), null, null, [new CdTextTrack("y")]);
        Assert.Contains("at most 256", Assert.Throws<ImapiException>(() => CdTextPacks.Encode(huge)).Message);
    }

    [Fact]
    public void Any_latin1_texts_round_trip()
    {
        var str = Gen.Char['\u0020', '\u00FF'].Array[0, 40].Select(a => new string(a)).Null();
        var track = Gen.Select(str, str, str, (t, p, i) => new CdTextTrack(t, p, i));
        Gen.Select(str, str, track.List[1, 12]).Sample(x =>
        {
            var (title, performer, tracks) = x;
            var text = new CdText(title, performer, null, tracks);
            if (text.IsEmpty) return;
            // An empty text reads back as absent.
            static string? Norm(string? s) => string.IsNullOrEmpty(s) ? null : s;
            var expect = new CdText(Norm(title), Norm(performer), null, [.. tracks.Select(t => new CdTextTrack(Norm(t.Title), Norm(t.Performer), Norm(t.Isrc)))]);
            byte[] packs;
            try { packs = CdTextPacks.Encode(text); }
            catch (ImapiException e) when (e.Message.Contains("at most 256")) { return; }
            Assert.True(expect.SameAs(CdTextPacks.Decode(packs)), text.ToString());
        }, iter: 300);
    }
}
