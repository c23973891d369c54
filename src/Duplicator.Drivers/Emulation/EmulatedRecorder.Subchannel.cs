namespace Duplicator.Drivers.Emulation;

// The Q sub-channel (position, media catalog number, ISRC) and the lead-in's CD-TEXT, served from what was
// burned (the cue sheet's INDEX entries, ISRC and MCN entries, the lead-in's packs) or loaded.
public sealed partial class EmulatedRecorder
{
    /// <summary>READ CD byte 10 bits 2-0, sub-channel data selection 010b: formatted Q, 16 bytes a block (MMC-6 §6.19).</summary>
    private const int ReadCdSubchannelQ = 0x02;

    /// <summary>Bytes of formatted Q per block.</summary>
    private const int FormattedQSize = 16;

    // Formatted Q (16 bytes, as cdrdao's PQ sub-channel reads it): CONTROL/ADR (0), TNO (1), INDEX (2), relative
    // M:S:F (3-5), zero (6), absolute M:S:F (7-9), all BCD as the disc holds them; CRC (10-11); P channel (15, bit 7).
    private const int QAdrControl = 0, QTrack = 1, QIndex = 2, QRelative = 3, QAbsolute = 7, QCrc = 10, QPChannel = 15;

    /// <summary>The ATIP's lead-in start, 97:26:66 (see <see cref="AtipOf"/>), as an LBA: where a CD-TEXT lead-in is written from.</summary>
    private const long AtipLeadInLba = ((97 * 60) + 26) * 75 + 66 - 450_150;

    // READ SUB-CHANNEL (MMC-6 §6.25): CDB byte 1 bit 1 MSF, byte 2 bit 6 SUBQ, byte 3 sub-channel parameter list
    // code, byte 6 track number, bytes 7-8 allocation length. Data: a 4-byte header (audio status at 1, data length
    // at 2-3), then for 02h/03h: format code (4), [ISRC: ADR/CONTROL (5), track (6)], MCVal/TCVal bit 7 of byte 8,
    // N1-N13 / I1-I12 ASCII from byte 9, AFRAME after a zero byte.
    private const int SubQBit = 0x40;
    private const byte FormatMcn = 0x02, FormatIsrc = 0x03;
    private const byte AudioStatusNone = 0x15;
    private const int SubChannelCodeOffset = 9, SubChannelValidOffset = 8;

    /// <summary>The 16-byte formatted Q of block <paramref name="lba"/> (ADR 1, current position).</summary>
    private static void FormattedQ(EmulatedDisc disc, long lba, Span<byte> q)
    {
        q[..FormattedQSize].Clear();
        var tracks = disc.Tracks.Where(t => t.Recorded > 0).ToList();
        var i = tracks.FindLastIndex(t => (t.PregapStart ?? t.Start) <= lba);
        if (i < 0)
        {
            return;
        }

        var track = tracks[i];
        int index;
        long relative;
        if (lba < track.Start)
        {
            index = 0;
            relative = track.Start - lba; // the pause counts down to INDEX 01
        }
        else
        {
            index = 1 + track.Indexes.Count(x => x <= lba);
            relative = lba - track.Start;
        }

        q[QAdrControl] = (byte)(((track.Audio ? 0x0 : 0x4) << 4) | 0x01);
        q[QTrack] = Bcd(track.Number);
        q[QIndex] = Bcd(index);
        BcdMsf(q[QRelative..], relative);
        BcdMsf(q[QAbsolute..], lba + 150);
        // Red Book: CRC-16 (x^16 + x^12 + x^5 + 1) over the 80 bits before it, stored inverted.
        var crc = 0;
        foreach (var b in q[..QCrc])
        {
            crc ^= b << 8;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1;
            }
        }

        Put16(q, QCrc, ~crc & 0xFFFF);
        q[QPChannel] = (byte)(index == 0 ? 0x80 : 0);
    }

    private static byte Bcd(int v) => (byte)(((v / 10) << 4) | (v % 10));

    private static void BcdMsf(Span<byte> b, long frames)
    {
        b[0] = Bcd((int)(frames / 4500));
        b[1] = Bcd((int)(frames / 75 % 60));
        b[2] = Bcd((int)(frames % 75));
    }

    /// <summary>READ SUB-CHANNEL (MMC-6 §6.25), formats 02h (media catalog number) and 03h (ISRC of a track).</summary>
    private int ReadSubChannel(ReadOnlySpan<byte> cdb, Span<byte> input)
    {
        Need(cdb, 10);
        var disc = RequireDisc();
        if (!EmulatedProfiles.IsCd(disc.Profile))
        {
            throw Fail(EmulatedSense.CannotReadIncompatibleFormat, "READ SUB-CHANNEL on a non-CD medium");
        }

        var allocation = U16(cdb, 7);
        var format = cdb[3];
        var r = new byte[24];
        r[1] = AudioStatusNone;
        if ((cdb[2] & SubQBit) == 0)
        {
            return Reply(input, r.AsSpan(0, 4), allocation); // header only
        }

        Put16(r, 2, 20);
        r[4] = format;
        switch (format)
        {
            case FormatMcn:
                if (disc.Catalog is { } mcn)
                {
                    r[SubChannelValidOffset] = 0x80;
                    for (var k = 0; k < 13; k++)
                    {
                        r[SubChannelCodeOffset + k] = (byte)mcn[k];
                    }
                }

                break;
            case FormatIsrc:
                int number = cdb[6];
                var track = disc.Tracks.FirstOrDefault(t => t.Number == number && t.Recorded > 0)
                    ?? throw Fail(EmulatedSense.InvalidFieldInCdb, $"READ SUB-CHANNEL ISRC of track {number}, which is not on the disc");
                r[5] = (byte)(((track.Audio ? 0x0 : 0x4) << 4) | FormatIsrc);
                r[6] = (byte)number;
                if (track.Isrc is { } isrc)
                {
                    r[SubChannelValidOffset] = 0x80;
                    for (var k = 0; k < 12; k++)
                    {
                        r[SubChannelCodeOffset + k] = (byte)isrc[k];
                    }
                }

                break;
            default:
                throw Fail(EmulatedSense.InvalidFieldInCdb, $"READ SUB-CHANNEL format {format:X2}h (02h catalog number and 03h ISRC are served)");
        }

        return Reply(input, r, allocation);
    }

    /// <summary>READ TOC/PMA/ATIP format 0101b (MMC-6 §6.26.3.7): a 4-byte header (data length 0-1) and the lead-in's CD-TEXT packs; the header alone when there are none.</summary>
    private static byte[] CdTextToc(EmulatedDisc disc)
    {
        if (!EmulatedProfiles.IsCd(disc.Profile))
        {
            throw Fail(EmulatedSense.InvalidFieldInCdb, $"no CD-TEXT on {EmulatedProfiles.Name(disc.Profile)}");
        }

        var packs = disc.CdText ?? [];
        var r = new byte[4 + packs.Length];
        Put16(r, 0, r.Length - 2);
        packs.CopyTo(r, 4);
        return r;
    }
}
