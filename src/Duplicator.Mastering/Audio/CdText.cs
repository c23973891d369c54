using System.Buffers.Binary;
using Duplicator.Mastering.Imapi;

namespace Duplicator.Mastering.Audio;

/// <summary>The CD-TEXT of one track (pack types 80h title, 81h performer, 8Eh ISRC).</summary>
/// <param name="Title">Title, or null.</param>
/// <param name="Performer">Performer, or null.</param>
/// <param name="Isrc">ISRC as CD-TEXT carries it (pack type 8Eh), or null.</param>
public sealed record CdTextTrack(string? Title = null, string? Performer = null, string? Isrc = null);

/// <summary>
/// The CD-TEXT of a disc, block 0 (one language): the album's title, performer and UPC/EAN, and the same per
/// track from <see cref="FirstTrack"/> on. Texts are ISO-8859-1 (character code 00h); null means absent.
/// </summary>
/// <param name="Title">Album title (pack type 80h, track 0).</param>
/// <param name="Performer">Album performer (81h, track 0).</param>
/// <param name="Upc">UPC/EAN (8Eh, track 0).</param>
/// <param name="Tracks">Per track, in order from <see cref="FirstTrack"/>.</param>
/// <param name="FirstTrack">Number of the first track (1 on every disc this project burns).</param>
/// <param name="Language">Language code of block 0 (EBU Tech 3264 appendix 3; 09h English).</param>
public sealed record CdText(string? Title, string? Performer, string? Upc, IReadOnlyList<CdTextTrack> Tracks, int FirstTrack = 1, byte Language = CdText.English)
{
    /// <summary>Language code 09h, English.</summary>
    public const byte English = 0x09;

    /// <summary>True when no text of any kind is present.</summary>
    public bool IsEmpty => Title is null && Performer is null && Upc is null && Tracks.All(t => t.Title is null && t.Performer is null && t.Isrc is null);

    /// <summary>Field-by-field equality (the record's own compares the track list by reference).</summary>
    public bool SameAs(CdText? other) =>
        other is not null && Title == other.Title && Performer == other.Performer && Upc == other.Upc && FirstTrack == other.FirstTrack
        && Language == other.Language && Tracks.SequenceEqual(other.Tracks);

    /// <inheritdoc />
    public override string ToString() =>
        $"CD-TEXT '{Title}' / '{Performer}' UPC {Upc}; tracks from {FirstTrack}: " + string.Join(", ", Tracks.Select(t => $"['{t.Title}' / '{t.Performer}' {t.Isrc}]"));
}

/// <summary>
/// CD-TEXT packs as the lead-in's R-W sub-channel carries them and READ TOC/PMA/ATIP format 0101b returns them
/// (MMC-6 6.26.3.7 and Annex J; Red Book CD-TEXT): 18-byte packs of pack type (byte 0), track number (1), sequence
/// number (2), block number and character position (3: bit 7 double-byte, bits 6-4 block, bits 3-0 characters of
/// the current text carried over from earlier packs, 15 = more), 12 payload bytes (4-15) and a CRC-16 (16-17).
/// Texts of one pack type are NUL-terminated and run on from track 0 (the album) through the last track across
/// packs; a TAB text means "the same as the previous track". Every block ends with three size information packs
/// (8Fh) whose 36 payload bytes give the character code, first and last track, the pack count per type, the last
/// sequence number and the language of each block. Pure: no I/O.
/// </summary>
public static class CdTextPacks
{
    /// <summary>Bytes per pack.</summary>
    public const int PackSize = 18;

    /// <summary>Pack type 80h: title.</summary>
    public const byte TypeTitle = 0x80;

    /// <summary>Pack type 81h: performer.</summary>
    public const byte TypePerformer = 0x81;

    /// <summary>Pack type 8Eh: UPC/EAN (track 0) and ISRC (tracks).</summary>
    public const byte TypeUpcIsrc = 0x8E;

    /// <summary>Pack type 8Fh: size information of the block.</summary>
    public const byte TypeSizeInfo = 0x8F;

    /// <summary>Most packs of one block: sequence numbers are one byte.</summary>
    public const int MaxPacksPerBlock = 256;

    /// <summary>Most packs READ TOC format 0101b can carry (its length field is 16 bits): 3640.</summary>
    public const int MaxPacks = (ushort.MaxValue - 2) / PackSize;

    /// <summary>Character code 00h: ISO-8859-1.</summary>
    public const byte CharacterCodeLatin1 = 0x00;

    /// <summary>Character code 01h: 7-bit ASCII.</summary>
    public const byte CharacterCodeAscii = 0x01;

    // Pack layout (MMC-6 Annex J).
    private const int TypeOffset = 0, TrackOffset = 1, SequenceOffset = 2, BlockCharOffset = 3, PayloadOffset = 4, PayloadSize = 12, CrcOffset = 16;
    private const int DoubleByteBit = 0x80;
    private const int SizeInfoBytes = 36;
    // Size information record (36 bytes over three 8Fh packs).
    private const int SiCharCode = 0, SiFirstTrack = 1, SiLastTrack = 2, SiCopyright = 3, SiPackCounts = 4, SiLastSequence = 20, SiLanguage = 28;
    private const byte Tab = 0x09;

    /// <summary>
    /// CRC of one pack: the remainder of bytes 0-15 divided by x^16 + x^12 + x^5 + 1 (register starting at 0),
    /// inverted, as bytes 16-17 hold it big-endian.
    /// </summary>
    public static ushort Crc(ReadOnlySpan<byte> packWithoutCrc)
    {
        int crc = 0;
        foreach (var b in packWithoutCrc[..CrcOffset])
        {
            crc ^= b << 8;
            for (int i = 0; i < 8; i++) crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1;
        }
        return (ushort)~crc;
    }

    /// <summary>True when the pack's bytes 16-17 hold the CRC of bytes 0-15.</summary>
    public static bool CrcValid(ReadOnlySpan<byte> pack) => BinaryPrimitives.ReadUInt16BigEndian(pack[CrcOffset..]) == Crc(pack);

    /// <summary>
    /// Encodes <paramref name="text"/> as block 0 (ISO-8859-1): pack types 80h, 81h and 8Eh, each only when some
    /// text of that type is present, then the three size information packs; every pack with its CRC. A character
    /// outside ISO-8859-1, a NUL or TAB in a text, or more than <see cref="MaxPacksPerBlock"/> packs is an
    /// <see cref="ImapiException"/> (InvalidInput) naming it: CD-TEXT is never written with a text silently dropped.
    /// </summary>
    public static byte[] Encode(CdText text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int last = text.FirstTrack + text.Tracks.Count - 1;
        if (text.Tracks.Count == 0 || text.FirstTrack < 1 || last > 99)
            throw new ImapiException(ImapiError.InvalidInput, $"CD-TEXT for tracks {text.FirstTrack}..{last}: needs 1..99 tracks numbered 1..99");
        var packs = new List<byte[]>();
        var counts = new int[16];
        foreach (var (type, album, perTrack) in new (byte, string?, Func<CdTextTrack, string?>)[]
                 {
                     (TypeTitle, text.Title, t => t.Title),
                     (TypePerformer, text.Performer, t => t.Performer),
                     (TypeUpcIsrc, text.Upc, t => t.Isrc),
                 })
        {
            var strings = new List<string?> { album };
            strings.AddRange(text.Tracks.Select(perTrack));
            if (strings.All(s => s is null)) continue;
            var stream = new List<byte>();
            var owner = new List<(int Track, int Start)>(); // where each text starts in the stream
            for (int i = 0; i < strings.Count; i++)
            {
                owner.Add((i == 0 ? 0 : text.FirstTrack + i - 1, stream.Count));
                foreach (char c in strings[i] ?? "")
                {
                    if (c > 0xFF || c is '\0' or '\t')
                        throw new ImapiException(ImapiError.InvalidInput,
                            $"CD-TEXT {TypeName(type)} of {(i == 0 ? "the album" : $"track {text.FirstTrack + i - 1}")} '{strings[i]}': character U+{(int)c:X4} is not ISO-8859-1 text");
                    stream.Add((byte)c);
                }
                stream.Add(0);
            }
            for (int at = 0; at < stream.Count; at += PayloadSize)
            {
                int k = owner.FindLastIndex(o => o.Start <= at);
                var p = new byte[PackSize];
                p[TypeOffset] = type;
                p[TrackOffset] = (byte)owner[k].Track;
                p[BlockCharOffset] = (byte)Math.Min(15, at - owner[k].Start); // block 0, single-byte
                for (int j = 0; j < PayloadSize && at + j < stream.Count; j++) p[PayloadOffset + j] = stream[at + j];
                packs.Add(p);
                counts[type - 0x80]++;
            }
        }
        counts[TypeSizeInfo - 0x80] = 3;
        if (packs.Count + 3 > MaxPacksPerBlock)
            throw new ImapiException(ImapiError.InvalidInput, $"CD-TEXT needs {packs.Count + 3} packs; a block holds at most {MaxPacksPerBlock}");
        var info = new byte[SizeInfoBytes];
        info[SiCharCode] = CharacterCodeLatin1;
        info[SiFirstTrack] = (byte)text.FirstTrack;
        info[SiLastTrack] = (byte)last;
        info[SiCopyright] = 0;
        for (int t = 0; t < 16; t++) info[SiPackCounts + t] = (byte)counts[t];
        info[SiLastSequence] = (byte)(packs.Count + 2);
        info[SiLanguage] = text.Language;
        for (int i = 0; i < 3; i++)
        {
            var p = new byte[PackSize];
            p[TypeOffset] = TypeSizeInfo;
            p[TrackOffset] = (byte)i;
            info.AsSpan(i * PayloadSize, PayloadSize).CopyTo(p.AsSpan(PayloadOffset));
            packs.Add(p);
        }
        var all = new byte[packs.Count * PackSize];
        for (int i = 0; i < packs.Count; i++)
        {
            packs[i][SequenceOffset] = (byte)i;
            BinaryPrimitives.WriteUInt16BigEndian(packs[i].AsSpan(CrcOffset), Crc(packs[i]));
            packs[i].CopyTo(all, i * PackSize);
        }
        return all;
    }

    /// <summary>
    /// Decodes block 0 of <paramref name="packs"/> (whole 18-byte packs, as READ TOC format 0101b returns them
    /// after its 4-byte header). Every pack's CRC is checked; a bad one, a block 0 without its size information,
    /// double-byte text, or a pack count that disagrees with the size information is an
    /// <see cref="InvalidDataException"/> naming the pack. Pack types other than 80h, 81h, 8Eh and 8Fh are skipped.
    /// An empty text reads as null (absent). Empty input is null (no CD-TEXT).
    /// </summary>
    public static CdText? Decode(ReadOnlySpan<byte> packs)
    {
        if (packs.Length == 0) return null;
        if (packs.Length % PackSize != 0)
            throw new InvalidDataException($"CD-TEXT: {packs.Length} bytes is not a whole number of {PackSize}-byte packs");
        int n = packs.Length / PackSize;
        if (n > MaxPacks) throw new InvalidDataException($"CD-TEXT: {n} packs, more than the {MaxPacks} READ TOC can return");
        var block0 = new List<byte[]>();
        for (int i = 0; i < n; i++)
        {
            var p = packs.Slice(i * PackSize, PackSize);
            if (!CrcValid(p))
                throw new InvalidDataException($"CD-TEXT pack {i} (type {p[TypeOffset]:X2}h, sequence {p[SequenceOffset]}): CRC {BinaryPrimitives.ReadUInt16BigEndian(p[CrcOffset..]):X4}h, the pack's bytes give {Crc(p):X4}h");
            if (p[TypeOffset] is < 0x80 or > 0x8F)
                throw new InvalidDataException($"CD-TEXT pack {i}: type {p[TypeOffset]:X2}h is not 80h..8Fh");
            if (((p[BlockCharOffset] >> 4) & 0x07) == 0) block0.Add(p.ToArray());
        }
        var sizeInfo = block0.Where(p => p[TypeOffset] == TypeSizeInfo).OrderBy(p => p[TrackOffset]).ToList();
        if (sizeInfo.Count != 3 || sizeInfo.Select(p => (int)p[TrackOffset]).SequenceEqual([0, 1, 2]) is false)
            throw new InvalidDataException($"CD-TEXT block 0 has {sizeInfo.Count} size information packs (8Fh) numbered [{string.Join(",", sizeInfo.Select(p => p[TrackOffset]))}], not three numbered 0, 1, 2");
        var info = new byte[SizeInfoBytes];
        for (int i = 0; i < 3; i++) sizeInfo[i].AsSpan(PayloadOffset, PayloadSize).CopyTo(info.AsSpan(i * PayloadSize));
        if (info[SiCharCode] is not (CharacterCodeLatin1 or CharacterCodeAscii))
            throw new InvalidDataException($"CD-TEXT block 0: character code {info[SiCharCode]:X2}h (double-byte MS-JIS and others are not read)");
        int first = info[SiFirstTrack], last = info[SiLastTrack];
        if (first < 1 || last < first || last > 99)
            throw new InvalidDataException($"CD-TEXT size information: tracks {first}..{last}, not within 1..99");
        for (int t = 0; t < 16; t++)
        {
            int have = block0.Count(p => p[TypeOffset] == 0x80 + t);
            if (have != info[SiPackCounts + t])
                throw new InvalidDataException($"CD-TEXT block 0 holds {have} packs of type {0x80 + t:X2}h, its size information says {info[SiPackCounts + t]}");
        }
        string?[] Texts(byte type)
        {
            var list = block0.Where(p => p[TypeOffset] == type).OrderBy(p => p[SequenceOffset]).ToList();
            var result = new string?[last - first + 2];
            if (list.Count == 0) return result;
            if ((list[0][BlockCharOffset] & DoubleByteBit) != 0)
                throw new InvalidDataException($"CD-TEXT pack type {type:X2}h is double-byte text, which is not read");
            int index = list[0][TrackOffset] == 0 ? 0 : list[0][TrackOffset] - first + 1;
            var current = new System.Text.StringBuilder();
            foreach (var p in list)
            {
                for (int j = 0; j < PayloadSize; j++)
                {
                    byte b = p[PayloadOffset + j];
                    if (b != 0) { current.Append((char)b); continue; }
                    if (index >= result.Length) break; // the padding after the last track's text
                    var s = current.ToString();
                    result[index] = s == "\t" && index > 1 ? result[index - 1] : s.Length == 0 ? null : s;
                    index++;
                    current.Clear();
                }
            }
            return result;
        }
        var titles = Texts(TypeTitle);
        var performers = Texts(TypePerformer);
        var codes = Texts(TypeUpcIsrc);
        var tracks = new List<CdTextTrack>();
        for (int i = 1; i < titles.Length; i++) tracks.Add(new CdTextTrack(titles[i], performers[i], codes[i]));
        return new CdText(titles[0], performers[0], codes[0], tracks, first, info[SiLanguage]);
    }

    /// <summary>
    /// One pack as the lead-in's R-W sub-channel carries it (Red Book: 18 bytes are 24 six-bit symbols): each output
    /// byte holds 6 bits of the pack in its low bits, most significant first; <paramref name="destination"/> takes 24.
    /// </summary>
    public static void ToSixBit(ReadOnlySpan<byte> pack, Span<byte> destination)
    {
        for (int group = 0; group < 6; group++)
        {
            int bits = (pack[group * 3] << 16) | (pack[group * 3 + 1] << 8) | pack[group * 3 + 2];
            for (int k = 0; k < 4; k++) destination[group * 4 + k] = (byte)((bits >> (18 - 6 * k)) & 0x3F);
        }
    }

    /// <summary>The inverse of <see cref="ToSixBit"/>: 24 six-bit symbols (the upper two bits of each ignored) back into an 18-byte pack.</summary>
    public static void FromSixBit(ReadOnlySpan<byte> symbols, Span<byte> pack)
    {
        for (int group = 0; group < 6; group++)
        {
            int bits = 0;
            for (int k = 0; k < 4; k++) bits = (bits << 6) | (symbols[group * 4 + k] & 0x3F);
            pack[group * 3] = (byte)(bits >> 16);
            pack[group * 3 + 1] = (byte)(bits >> 8);
            pack[group * 3 + 2] = (byte)bits;
        }
    }

    private static string TypeName(byte type) => type switch { TypeTitle => "title", TypePerformer => "performer", _ => "UPC/ISRC" };
}
