using System.Text;
using Duplicator.Mastering.Media;

namespace Duplicator.Drivers.Emulation;

// Identification, status and medium-information commands.
public sealed partial class EmulatedRecorder
{
    // SPC-4 §6.6.2 standard INQUIRY data.
    private const int InquiryLength = 36;
    private const int InquiryVendorOffset = 8;
    private const int InquiryProductOffset = 16;
    private const int InquiryRevisionOffset = 32;

    private int TestUnitReady(ReadOnlySpan<byte> cdb)
    {
        Need(cdb, 6);
        RequireDisc();
        return 0;
    }

    /// <summary>REQUEST SENSE (SPC-4 §6.29): the current condition, with GOOD status.</summary>
    private int RequestSense(ReadOnlySpan<byte> cdb, Span<byte> input)
    {
        Need(cdb, 6);
        var sense = _clock.Elapsed < _notReadyUntil ? EmulatedSense.BecomingReady
            : _disc is null ? EmulatedSense.MediumNotPresent
            : EmulatedSense.NoSense;
        return Reply(input, sense.ToArray(), cdb[4]);
    }

    /// <summary>INQUIRY (SPC-4 §6.6): peripheral type 05h (MMC), RMB; VPD pages 00h and 80h.</summary>
    private int Inquiry(ReadOnlySpan<byte> cdb, Span<byte> input)
    {
        Need(cdb, 6);
        var evpd = (cdb[1] & 0x01) != 0;
        var page = cdb[2];
        var allocation = U16(cdb, 3);
        if (evpd)
        {
            var serial = Encoding.ASCII.GetBytes(_options.Name.Length > 32 ? _options.Name[..32] : _options.Name);
            byte[] vpd = page switch
            {
                0x00 => [0x05, 0x00, 0x00, 0x02, 0x00, 0x80],
                0x80 => [0x05, 0x80, 0x00, (byte)serial.Length, .. serial],
                _ => throw Fail(EmulatedSense.InvalidFieldInCdb, $"VPD page {page:X2}h not supported"),
            };
            return Reply(input, vpd, allocation);
        }

        if (page != 0)
        {
            throw Fail(EmulatedSense.InvalidFieldInCdb, "page code without EVPD");
        }

        Span<byte> r = stackalloc byte[InquiryLength];
        r.Clear();
        r[0] = 0x05;                  // peripheral qualifier 0, device type 05h CD/DVD
        r[1] = 0x80;                  // RMB
        r[2] = 0x06;                  // SPC-4
        r[3] = 0x02;                  // response data format 2
        r[4] = InquiryLength - 5;     // additional length
        Ascii(r.Slice(InquiryVendorOffset, 8), _options.Vendor);
        Ascii(r.Slice(InquiryProductOffset, 16), _options.Product);
        Ascii(r.Slice(InquiryRevisionOffset, 4), _options.Revision);
        return Reply(input, r, allocation);
    }

    private static void Ascii(Span<byte> field, string text)
    {
        field.Fill((byte)' ');
        for (var i = 0; i < field.Length && i < text.Length; i++)
        {
            field[i] = text[i] is >= ' ' and <= '~' ? (byte)text[i] : (byte)'?';
        }
    }

    /// <summary>START STOP UNIT (SBC/MMC-6 §6.39): LoEj with Start 0 ejects, with Start 1 loads.</summary>
    private int StartStopUnit(ReadOnlySpan<byte> cdb)
    {
        Need(cdb, 6);
        var loej = (cdb[4] & 0x02) != 0;
        var start = (cdb[4] & 0x01) != 0;
        if (!loej)
        {
            return 0;
        }

        if (start)
        {
            _trayOpen = false;
            if (_disc is null && _trayDisc is { } back)
            {
                _disc = back;
                _trayDisc = null;
                _mediaEvent = MediaEventNew;
                _writeSpeedX = AllowedSpeeds()[0];
                UpdateRate();
            }

            return 0;
        }

        if (_preventRemoval)
        {
            throw Fail(EmulatedSense.MediumRemovalPrevented, "eject while PREVENT ALLOW MEDIUM REMOVAL prevents it");
        }

        if (_disc is { } disc)
        {
            _buffer.Flush();
            var removed = RemoveMedium();
            if (_options.AutoReload)
            {
                LoadLocked(disc.Profile, MediumState.Blank, _options.CapacityBlocks);
                return 0;
            }

            // The ejected disc stays on the tray; a load command takes it back in.
            _trayDisc = removed;
            _mediaEvent = MediaEventRemoval;
        }

        _trayOpen = true;
        return 0;
    }

    private int PreventAllow(ReadOnlySpan<byte> cdb)
    {
        Need(cdb, 6);
        _preventRemoval = (cdb[4] & 0x03) != 0;
        return 0;
    }

    /// <summary>GET EVENT STATUS NOTIFICATION (MMC-6 §6.6), polled only, media class (4).</summary>
    private int GetEventStatus(ReadOnlySpan<byte> cdb, Span<byte> input)
    {
        Need(cdb, 10);
        if ((cdb[1] & 0x01) == 0)
        {
            throw Fail(EmulatedSense.InvalidFieldInCdb, "asynchronous event notification not supported");
        }

        var allocation = U16(cdb, 7);
        if ((cdb[4] & 0x10) == 0)
        {
            return Reply(input, [0x00, 0x02, 0x80, 0x10], allocation);
        }

        var status = (byte)((_disc is not null ? 0x02 : 0) | (_trayOpen ? 0x01 : 0));
        byte[] r = [0x00, 0x06, 0x04, 0x10, _mediaEvent, status, 0, 0];
        _mediaEvent = MediaEventNone;
        return Reply(input, r, allocation);
    }

    /// <summary>READ CAPACITY (MMC-6 §6.23): last recorded LBA (0 when nothing is) and 2048.</summary>
    private int ReadCapacity(ReadOnlySpan<byte> cdb, Span<byte> input)
    {
        Need(cdb, 10);
        var disc = RequireDisc();
        Span<byte> r = stackalloc byte[8];
        Put32(r, 0, Math.Max(0, disc.LastRecorded));
        Put32(r, 4, MediaCapacity.DataBlockSize);
        return Reply(input, r, 8);
    }

    /// <summary>READ DISC INFORMATION (MMC-6 §6.22), data type 000b: standard disc information.</summary>
    private int ReadDiscInformation(ReadOnlySpan<byte> cdb, Span<byte> input)
    {
        Need(cdb, 10);
        if ((cdb[1] & 0x07) != 0)
        {
            throw Fail(EmulatedSense.InvalidFieldInCdb, "only standard disc information (type 0) is supported");
        }

        var disc = RequireDisc();
        Span<byte> r = stackalloc byte[34];
        r.Clear();
        Put16(r, 0, 32);
        var status = disc.IsBlank ? 0 : disc.Finalized ? 2 : 1;
        var lastSession = disc.Finalized ? 3 : disc.SessionHasTracks || disc.Cue is not null ? 1 : 0;
        r[2] = (byte)((EmulatedProfiles.IsErasable(disc.Profile) ? 0x10 : 0) | (lastSession << 2) | status);
        r[3] = 1;
        var sessions = disc.Finalized ? disc.ClosedSessions : disc.ClosedSessions + 1;
        int firstInLast, lastInLast;
        if (disc.Finalized)
        {
            var lastSessionNo = disc.Tracks[^1].Session;
            firstInLast = disc.Tracks.First(t => t.Session == lastSessionNo).Number;
            lastInLast = disc.Tracks[^1].Number;
        }
        else
        {
            var invisible = disc.OpenTrack is null && disc.Cue is null;
            firstInLast = disc.SessionHasTracks ? disc.Tracks.First(t => t.Session == disc.CurrentSession).Number : disc.Tracks.Count + 1;
            lastInLast = disc.Tracks.Count + (invisible ? 1 : 0);
        }

        r[4] = (byte)sessions;
        r[5] = (byte)firstInLast;
        r[6] = (byte)lastInLast;
        r[7] = (byte)(0x20 | (disc.Formatted ? 0x03 : 0)); // URU; BG format status 11b = DVD+RW fully formatted
        r[8] = 0x00; // CD-DA or CD-ROM disc
        r[9] = (byte)(sessions >> 8);
        r[10] = (byte)(firstInLast >> 8);
        r[11] = (byte)(lastInLast >> 8);
        if (EmulatedProfiles.IsCd(disc.Profile))
        {
            if (disc.Finalized)
            {
                Put32(r, 16, 0xFFFFFFFF);
                Put32(r, 20, 0xFFFFFFFF);
            }
            else
            {
                if (disc.IsBlank)
                {
                    r[17] = 97; // ATIP start time of lead-in, 97:26:66, typical of CD-R
                    r[18] = 26;
                    r[19] = 66;
                }
                else
                {
                    PutMsf(r, 16, disc.NextTrackStart - 150 - 4500); // next session's lead-in, before its pregap
                }
                PutMsf(r, 20, disc.Capacity);
            }
        }
        else
        {
            Put32(r, 20, disc.Capacity);
        }

        return Reply(input, r, U16(cdb, 7));
    }

    /// <summary>READ TRACK INFORMATION (MMC-6 §6.27): by LBA (00b), track number (01b, FFh = invisible) or session (10b).</summary>
    private int ReadTrackInformation(ReadOnlySpan<byte> cdb, Span<byte> input)
    {
        Need(cdb, 10);
        var disc = RequireDisc();
        var type = cdb[1] & 0x03;
        var address = U32(cdb, 2);
        // An unformatted DVD+RW shows one blank track; a formatted one a single complete track.
        var canAppend = !disc.Finalized && disc.OpenTrack is null && disc.Cue is null && !disc.Formatted;
        EmulatedTrack? track = null;
        var invisible = false;
        switch (type)
        {
            case 0:
                track = disc.TrackAt((int)address);
                invisible = track is null && canAppend && address >= disc.NextTrackStart && address < disc.Capacity;
                break;
            case 1 when address == 0xFF:
                track = disc.OpenTrack ?? (disc.Formatted ? disc.Tracks[0] : null);
                invisible = track is null && canAppend;
                break;
            case 1 when address >= 1 && address <= disc.Tracks.Count:
                track = disc.Tracks[(int)address - 1];
                break;
            case 1:
                invisible = canAppend && address == disc.Tracks.Count + 1;
                break;
            case 2:
                track = disc.Tracks.FirstOrDefault(t => t.Session == address);
                invisible = track is null && canAppend && address == disc.CurrentSession;
                break;
        }

        if (track is null && !invisible)
        {
            throw Fail(EmulatedSense.InvalidFieldInCdb, $"no track for address type {type}, value {address}");
        }

        Span<byte> r = stackalloc byte[48];
        r.Clear();
        Put16(r, 0, 46);
        int number, session;
        bool blank, nwaValid;
        long start, nwa = 0, free, size, lastRecorded = -1;
        bool audio;
        if (track is null)
        {
            number = disc.Tracks.Count + 1;
            session = disc.CurrentSession;
            start = disc.NextTrackStart;
            blank = true;
            nwaValid = true;
            nwa = start;
            free = Math.Max(0, disc.Capacity - start);
            size = free;
            audio = CurrentBlockSize == MediaCapacity.AudioBlockSize;
        }
        else
        {
            number = track.Number;
            session = track.Session;
            start = track.Start;
            audio = track.Audio;
            blank = track.Recorded == 0;
            var limit = track.Planned is { } p ? track.Start + p : disc.Capacity;
            var open = !track.Closed && disc.Cue is null && disc.Profile != EmulatedProfile.DvdPlusRw;
            nwa = open ? track.Start + track.Recorded : 0;
            nwaValid = open && nwa < limit;
            free = open ? limit - nwa : 0;
            size = track.Planned ?? track.Recorded + free;
            lastRecorded = track.Recorded > 0 ? track.Start + track.Recorded - 1 : -1;
        }

        r[2] = (byte)number;
        r[3] = (byte)session;
        r[5] = (byte)(audio ? 0x00 : 0x04);                       // track mode: audio / data uninterrupted
        var reserved = track is { Reserved: true };
        r[6] = (byte)((reserved ? 0x80 : 0) | (blank ? 0x40 : 0) | (audio ? 0x0F : 0x01)); // RT, blank, data mode (1 = Mode 1)
        r[7] = (byte)((lastRecorded >= 0 ? 0x02 : 0) | (nwaValid ? 0x01 : 0));
        Put32(r, 8, start);
        Put32(r, 12, nwaValid ? nwa : 0);
        Put32(r, 16, free);
        Put32(r, 20, EmulatedProfiles.Blocking(disc.Profile));
        Put32(r, 24, size);
        Put32(r, 28, Math.Max(0, lastRecorded));
        r[32] = (byte)(number >> 8);
        r[33] = (byte)(session >> 8);
        return Reply(input, r, U16(cdb, 7));
    }

    /// <summary>
    /// READ TOC/PMA/ATIP (MMC-6 §6.26): format 0 (TOC), 1 (session info) and, on CD, 2 (full TOC) over closed,
    /// recorded tracks; format 4 (ATIP) on CD media, blank or not (always MSF, as the pre-groove holds MSF);
    /// format 5 (CD-TEXT) on CD, the lead-in's packs.
    /// </summary>
    private int ReadToc(ReadOnlySpan<byte> cdb, Span<byte> input)
    {
        Need(cdb, 10);
        var disc = RequireDisc();
        var msf = (cdb[1] & 0x02) != 0;
        var format = cdb[2] & 0x0F;
        if (format == 0 && (cdb[9] >> 6) != 0)
        {
            format = cdb[9] >> 6; // SFF-8020 hosts put the format in the control byte
        }

        var allocation = U16(cdb, 7);
        if (format == 4)
        {
            return Reply(input, AtipOf(disc), allocation);
        }

        if (format == 5)
        {
            return Reply(input, CdTextToc(disc), allocation);
        }

        var toc = disc.Tracks.Where(t => t.Closed && t.Recorded > 0).ToList();
        if (toc.Count == 0 || format > 2 || (format == 2 && !EmulatedProfiles.IsCd(disc.Profile)))
        {
            throw Fail(EmulatedSense.InvalidFieldInCdb, toc.Count == 0 ? "no recorded track to report" : $"TOC format {format} not supported on {EmulatedProfiles.Name(disc.Profile)}");
        }

        if (format == 2)
        {
            return Reply(input, FullToc(disc, toc), allocation);
        }

        void Address(Span<byte> b, int offset, long lba)
        {
            if (msf)
            {
                PutMsf(b, offset, lba);
            }
            else
            {
                Put32(b, offset, lba);
            }
        }

        if (format == 1)
        {
            var lastSession = toc[^1].Session;
            var first = toc.First(t => t.Session == lastSession);
            var s = new byte[12];
            Put16(s, 0, 10);
            s[2] = 1;
            s[3] = (byte)lastSession;
            s[5] = (byte)(0x10 | (first.Audio ? 0x00 : 0x04));
            s[6] = (byte)first.Number;
            Address(s, 8, first.Start);
            return Reply(input, s, allocation);
        }

        var from = cdb[6];
        IEnumerable<EmulatedTrack> listed = from == 0xAA ? [] : toc.Where(t => t.Number >= Math.Max(1, (int)from));
        var entries = listed.ToList();
        if (from != 0xAA && from > toc[^1].Number)
        {
            throw Fail(EmulatedSense.InvalidFieldInCdb, $"starting track {from} beyond last track {toc[^1].Number}");
        }

        var r = new byte[4 + 8 * (entries.Count + 1)];
        Put16(r, 0, r.Length - 2);
        r[2] = (byte)toc[0].Number;
        r[3] = (byte)toc[^1].Number;
        var o = 4;
        foreach (var t in entries)
        {
            r[o + 1] = (byte)(0x10 | (t.Audio ? 0x00 : 0x04));
            r[o + 2] = (byte)t.Number;
            Address(r, o + 4, t.Start);
            o += 8;
        }

        r[o + 1] = (byte)(0x10 | (toc[^1].Audio ? 0x00 : 0x04));
        r[o + 2] = 0xAA;
        Address(r, o + 4, toc[^1].Start + toc[^1].Recorded);
        return Reply(input, r, allocation);
    }

    // MMC-6 §6.26, ATIP (format 0100b): 4-byte header, then ITWP/reference speed (byte 4), URU (5),
    // disc type/sub-type (6), lead-in start M:S:F (8-10), last possible lead-out start M:S:F (12-14).
    private const int AtipPowerOffset = 4;
    private const int AtipDiscTypeOffset = 6;
    private const int AtipLeadInOffset = 8;
    private const int AtipLeadOutOffset = 11; // PutMsf writes the reserved byte 11, then M:S:F at 12-14

    private static byte[] AtipOf(EmulatedDisc disc)
    {
        if (!EmulatedProfiles.IsCd(disc.Profile))
        {
            throw Fail(EmulatedSense.InvalidFieldInCdb, $"no ATIP on {EmulatedProfiles.Name(disc.Profile)}");
        }

        var r = new byte[4 + 24];
        Put16(r, 0, r.Length - 2);
        r[AtipPowerOffset] = 0x80 | (5 << 4) | 0x01;                                // ITWP 5, reference speed 1
        r[AtipDiscTypeOffset] = (byte)(0x80 | (disc.Profile == EmulatedProfile.CdRw ? 0x40 : 0));
        r[AtipLeadInOffset] = 97;                                                   // 97:26:66, as READ DISC INFORMATION says
        r[AtipLeadInOffset + 1] = 26;
        r[AtipLeadInOffset + 2] = 66;
        PutMsf(r, AtipLeadOutOffset, disc.Capacity);
        return r;
    }

    // MMC-6 §6.26.3.4, full TOC (format 0010b): 4-byte header, then 11-byte descriptors per session:
    // session, ADR/CONTROL, TNO 0, POINT, MIN SEC FRAME, ZERO, PMIN PSEC PFRAME (binary MSF).
    private static byte[] FullToc(EmulatedDisc disc, List<EmulatedTrack> toc)
    {
        var descriptors = new List<byte[]>();
        static byte Ctl(EmulatedTrack t) => (byte)(0x10 | (t.Audio ? 0x00 : 0x04));
        static byte[] Point(int session, byte adrCtl, byte point, long lbaMsf, long lbaPmsf, byte pmin = 0, bool pointIsMsf = true)
        {
            var d = new byte[11];
            d[0] = (byte)session;
            d[1] = adrCtl;
            d[3] = point;
            if (lbaMsf != long.MinValue)
            {
                PutMsf(d, 3, lbaMsf);
                d[3] = point; // PutMsf wrote its leading zero over POINT
            }

            if (pointIsMsf)
            {
                PutMsf(d, 7, lbaPmsf);
                d[7] = 0; // ZERO
            }
            else
            {
                d[8] = pmin;
            }

            return d;
        }

        foreach (var group in toc.GroupBy(t => t.Session))
        {
            var s = group.Key;
            var first = group.First();
            var last = group.Last();
            descriptors.Add(Point(s, Ctl(first), 0xA0, long.MinValue, 0, (byte)first.Number, pointIsMsf: false));
            descriptors.Add(Point(s, Ctl(last), 0xA1, long.MinValue, 0, (byte)last.Number, pointIsMsf: false));
            descriptors.Add(Point(s, Ctl(last), 0xA2, long.MinValue, last.Start + last.Recorded));
            foreach (var t in group)
            {
                descriptors.Add(Point(s, Ctl(t), (byte)t.Number, long.MinValue, t.Start));
            }

            if (s == toc[^1].Session && !disc.Finalized)
            {
                // Mode-5 Q B0h: start of the next possible program area, and the last possible lead-out.
                descriptors.Add(Point(s, 0x50 | 0x04, 0xB0, disc.NextTrackStart, disc.Capacity));
            }
        }

        var r = new byte[4 + 11 * descriptors.Count];
        Put16(r, 0, r.Length - 2);
        r[2] = (byte)toc[0].Session;
        r[3] = (byte)toc[^1].Session;
        for (var i = 0; i < descriptors.Count; i++)
        {
            descriptors[i].CopyTo(r, 4 + 11 * i);
        }

        return r;
    }

    /// <summary>READ FORMAT CAPACITIES (MMC-6 §6.24): current/maximum capacity, and format type 26h for DVD+RW.</summary>
    private int ReadFormatCapacities(ReadOnlySpan<byte> cdb, Span<byte> input)
    {
        Need(cdb, 10);
        var disc = _disc;
        var plusRw = disc?.Profile == EmulatedProfile.DvdPlusRw;
        var r = new byte[4 + 8 + (plusRw ? 8 : 0)];
        r[3] = (byte)(r.Length - 4);
        if (disc is null)
        {
            Put32(r, 4, 0xFFFFFFFF);
            r[8] = 0x03;                                   // no media present
        }
        else
        {
            Put32(r, 4, disc.Formatted ? disc.FormattedBlocks : disc.Capacity);
            r[8] = (byte)(disc.Formatted || !plusRw ? 0x02 : 0x01); // formatted / unformatted
        }

        r[10] = 0x08;                                      // block length 2048 (bytes 9-11)
        if (plusRw)
        {
            Put32(r, 12, disc!.Capacity);
            r[16] = 0x26 << 2;                             // format type 26h
        }

        return Reply(input, r, U16(cdb, 7));
    }

    /// <summary>READ BUFFER CAPACITY (MMC-6 §6.21): buffer length and free bytes (or free blocks with BLOCK=1).</summary>
    private int ReadBufferCapacity(ReadOnlySpan<byte> cdb, Span<byte> input)
    {
        Need(cdb, 10);
        RequireDisc();
        var free = _buffer.CapacityBytes - _buffer.FillBytes;
        Span<byte> r = stackalloc byte[12];
        r.Clear();
        Put16(r, 0, 10);
        if ((cdb[1] & 0x01) != 0)
        {
            r[3] = 0x01; // block form
            Put32(r, 8, free / CurrentBlockSize);
        }
        else
        {
            Put32(r, 4, _buffer.CapacityBytes);
            Put32(r, 8, free);
        }

        return Reply(input, r, U16(cdb, 7));
    }
}
