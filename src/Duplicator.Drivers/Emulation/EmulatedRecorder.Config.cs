namespace Duplicator.Drivers.Emulation;

// GET CONFIGURATION, mode pages, speeds.
public sealed partial class EmulatedRecorder
{
    private static readonly EmulatedProfile[] SupportedProfiles =
    [
        EmulatedProfile.BdR, (EmulatedProfile)0x0040, EmulatedProfile.DvdPlusR, EmulatedProfile.DvdPlusRw,
        EmulatedProfile.DvdMinusRwSequential, EmulatedProfile.DvdMinusR, (EmulatedProfile)0x0010, EmulatedProfile.CdRw, EmulatedProfile.CdR, (EmulatedProfile)0x0008,
    ];

    private readonly record struct Feature(ushort Code, byte Version, bool Persistent, bool Current, byte[] Data);

    /// <summary>GET CONFIGURATION (MMC-6 §6.6): RT 00b all, 01b current, 10b the one feature at the starting number.</summary>
    private int GetConfiguration(ReadOnlySpan<byte> cdb, Span<byte> input)
    {
        Need(cdb, 10);
        var rt = cdb[1] & 0x03;
        if (rt == 3)
        {
            throw Fail(EmulatedSense.InvalidFieldInCdb, "RT 11b is reserved");
        }

        var startFeature = U16(cdb, 2);
        var features = Features().Where(f => rt switch
        {
            0 => f.Code >= startFeature,
            1 => f.Code >= startFeature && f.Current,
            _ => f.Code == startFeature,
        }).ToList();
        var length = 8 + features.Sum(f => 4 + f.Data.Length);
        var r = new byte[length];
        Put32(r, 0, length - 4);
        Put16(r, 6, (int)(_disc?.Profile ?? EmulatedProfile.None));
        var o = 8;
        foreach (var f in features)
        {
            Put16(r, o, f.Code);
            r[o + 2] = (byte)((f.Version << 2) | (f.Persistent ? 0x02 : 0) | (f.Current ? 0x01 : 0));
            r[o + 3] = (byte)f.Data.Length;
            f.Data.CopyTo(r, o + 4);
            o += 4 + f.Data.Length;
        }

        return Reply(input, r, U16(cdb, 7));
    }

    // Feature descriptors of MMC-6 §5.3, in ascending feature number.
    private List<Feature> Features()
    {
        var p = _disc?.Profile ?? EmulatedProfile.None;
        var present = _disc is not null;
        var cd = EmulatedProfiles.IsCd(p);
        var writable = _disc is { Finalized: false } || p == EmulatedProfile.DvdPlusRw;
        var profiles = new byte[SupportedProfiles.Length * 4];
        for (var i = 0; i < SupportedProfiles.Length; i++)
        {
            Put16(profiles, i * 4, (int)SupportedProfiles[i]);
            profiles[i * 4 + 2] = (byte)(SupportedProfiles[i] == p && present ? 0x01 : 0x00);
        }

        var blocking = present ? EmulatedProfiles.Blocking(p) : 1;
        var readable = _disc is { } d && d.LastRecorded >= 0;
        var list = new List<Feature>
        {
            new(0x0000, 0, true, true, profiles),
            new(0x0001, 2, true, true, [0, 0, 0, 1, 0x01, 0, 0, 0]),             // Core: SCSI family, DBE
            new(0x0002, 1, true, true, [0, 0, 0, 0]),                             // Morphing: polled GESN only
            new(0x0003, 0, true, true, [0x29, 0, 0, 0]),                          // Removable medium: tray, eject, lock
            new(0x0010, 0, false, readable, [0, 0, 0x08, 0x00, (byte)(blocking >> 8), (byte)blocking, 0, 0]), // Random readable, 2048
            new(0x001E, 2, false, cd, [0, 0, 0, 0]),                              // CD read
            new(0x001F, 0, false, EmulatedProfiles.IsDvd(p), [0, 0, 0, 0]),       // DVD read
        };
        if (p == EmulatedProfile.DvdPlusRw && _disc is { Formatted: true } f)
        {
            var rw = new byte[12];
            Put32(rw, 0, f.FormattedBlocks - 1);
            Put32(rw, 4, 2048);
            Put16(rw, 8, 16);
            list.Add(new(0x0020, 0, false, true, rw));                           // Random writable
        }

        var incremental = writable && (EmulatedProfiles.IsCd(p) || EmulatedProfiles.IsDash(p));
        list.Add(new(0x0021, 1, false, incremental, [0x01, 0x01, 0x01, 0x02, 0x07, 0x10, 0, 0])); // types 0 and 8, BUF, link sizes 7 (CD) and 16 (DVD-R)
        list.Add(new(0x002A, 1, false, p == EmulatedProfile.DvdPlusRw, [0x01, 0, 0, 0]));       // DVD+RW write
        list.Add(new(0x002B, 0, false, p == EmulatedProfile.DvdPlusR && writable, [0x01, 0, 0, 0])); // DVD+R write
        list.Add(new(0x002D, 2, false, cd && writable, [0x46, 0, 0x01, 0x01]));   // CD TAO: BUF, test write, CD-RW; types 0 and 8
        list.Add(new(0x002E, 1, false, cd && writable, [0x66, 0x00, 0x10, 0x00])); // CD mastering: BUF, SAO, test write, CD-RW; cue sheet ≤ 4096
        list.Add(new(0x002F, 1, false, EmulatedProfiles.IsDash(p) && writable, [0x46, 0, 0, 0])); // DVD-R/-RW write: BUF, test write, DVD-RW
        var bd = new byte[20];
        bd[13] = 0x02;                                                           // BD-R class 0, version 1
        list.Add(new(0x0041, 1, false, p == EmulatedProfile.BdR && writable, bd)); // BD write
        list.Add(new(0x0107, 3, false, present, [0x1E, 0, 0, 0]));               // Real-time streaming: RBCB, SCS, MP2A, WSPD
        return list;
    }

    /// <summary>MODE SENSE(10) (SPC-4 §6.14, MMC-6 §7): pages 05h, 2Ah, or 3Fh (both); PC 01b gives the changeable mask.</summary>
    private int ModeSense(ReadOnlySpan<byte> cdb, Span<byte> input)
    {
        Need(cdb, 10);
        var pc = cdb[2] >> 6;
        var page = cdb[2] & 0x3F;
        var changeable = pc == 1;
        byte[] body = page switch
        {
            0x05 => WriteParametersPage(changeable),
            0x2A => CapabilitiesPage(changeable),
            0x3F => [.. WriteParametersPage(changeable), .. CapabilitiesPage(changeable)],
            _ => throw Fail(EmulatedSense.InvalidFieldInCdb, $"mode page {page:X2}h not supported"),
        };
        var r = new byte[8 + body.Length];
        Put16(r, 0, r.Length - 2);
        body.CopyTo(r, 8);
        return Reply(input, r, U16(cdb, 7));
    }

    // MMC-6 §7.5.4, write parameters mode page, 52 bytes.
    private const int WpPageLength = 0x32;
    private const int WpWriteTypeOffset = 2;   // BUFE bit 6, LS_V bit 5, Test Write bit 4, Write Type bits 3-0
    private const int WpTrackModeOffset = 3;   // Multi-session bits 7-6, FP bit 5, Copy bit 4, Track Mode bits 3-0
    private const int WpDataBlockOffset = 4;   // Data Block Type bits 3-0
    private const int WpSessionFormatOffset = 8;
    private const int WpPacketSizeOffset = 10;
    private const int WpAudioPauseOffset = 14;

    private byte[] WriteParametersPage(bool changeable)
    {
        var r = new byte[2 + WpPageLength];
        r[0] = 0x05;
        r[1] = WpPageLength;
        if (changeable)
        {
            r[WpWriteTypeOffset] = 0x5F;
            r[WpTrackModeOffset] = 0xCF;
            r[WpDataBlockOffset] = 0x0F;
            r[WpSessionFormatOffset] = 0xFF;
            Put32(r, WpPacketSizeOffset, 0xFFFFFFFF);
            Put16(r, WpAudioPauseOffset, 0xFFFF);
            return r;
        }

        r[WpWriteTypeOffset] = (byte)((_wp.BufferUnderrunFree ? 0x40 : 0) | (_wp.TestWrite ? 0x10 : 0) | _wp.WriteType);
        r[WpTrackModeOffset] = (byte)((_wp.MultiSession << 6) | _wp.TrackMode);
        r[WpDataBlockOffset] = _wp.DataBlockType;
        r[WpSessionFormatOffset] = _wp.SessionFormat;
        Put32(r, WpPacketSizeOffset, _wp.PacketSize);
        Put16(r, WpAudioPauseOffset, _wp.AudioPauseLength);
        return r;
    }

    // MMC-6 §7.5.6 (MM capabilities and mechanical status, 2Ah): 32 bytes plus 4 per write speed descriptor.
    private const int CapMaxReadSpeedOffset = 8;
    private const int CapBufferSizeOffset = 12;
    private const int CapCurrentReadSpeedOffset = 14;
    private const int CapMaxWriteSpeedOffset = 18;
    private const int CapCurrentWriteSpeedOffset = 20;
    private const int CapSelectedWriteSpeedOffset = 28;
    private const int CapDescriptorCountOffset = 30;
    private const int CapDescriptorsOffset = 32;

    private byte[] CapabilitiesPage(bool changeable)
    {
        var speeds = AllowedSpeeds();
        var r = new byte[CapDescriptorsOffset + 4 * speeds.Count];
        r[0] = 0x2A;
        r[1] = (byte)(r.Length - 2);
        if (changeable)
        {
            return r;
        }

        var oneX = EmulatedProfiles.OneXKilobytes(_disc?.Profile ?? EmulatedProfile.CdR);
        r[2] = 0x1B;                                  // reads CD-R, CD-RW, DVD-ROM, DVD-R
        r[3] = 0x17;                                  // writes CD-R, CD-RW, DVD-R; test write
        r[4] = 0xC0;                                  // BUF (as features 0021h/002Dh say), multi-session
        r[5] = 0x03;                                  // CD-DA commands, stream accurate
        r[6] = (byte)(0x29 | (_preventRemoval ? 0x02 : 0)); // tray, eject, lock (+ lock state)
        var readKbps = ReadKilobytesPerSecond(speeds, oneX);
        Put16(r, CapMaxReadSpeedOffset, readKbps);
        Put16(r, 10, 0x0100);
        Put16(r, CapBufferSizeOffset, (int)Math.Min(0xFFFF, _buffer.CapacityBytes / 1024));
        Put16(r, CapCurrentReadSpeedOffset, readKbps);
        Put16(r, CapMaxWriteSpeedOffset, speeds[0] * oneX);
        Put16(r, CapCurrentWriteSpeedOffset, _writeSpeedX * oneX);
        Put16(r, CapSelectedWriteSpeedOffset, _writeSpeedX * oneX);
        Put16(r, CapDescriptorCountOffset, speeds.Count);
        for (var i = 0; i < speeds.Count; i++)
        {
            Put16(r, CapDescriptorsOffset + 4 * i + 2, speeds[i] * oneX);
        }

        return r;
    }

    /// <summary>MODE SELECT(10) (SPC-4 §6.10): accepts page 05h (validated) and 2Ah (not changeable, ignored).</summary>
    private int ModeSelect(ReadOnlySpan<byte> cdb, ReadOnlySpan<byte> output)
    {
        Need(cdb, 10);
        if ((cdb[1] & 0x10) == 0)
        {
            throw Fail(EmulatedSense.InvalidFieldInCdb, "MODE SELECT without PF");
        }

        var length = U16(cdb, 7);
        if (length == 0)
        {
            return 0;
        }

        if (length < 8 || output.Length < length)
        {
            throw Fail(EmulatedSense.ParameterListLengthError, $"parameter list length {length}, data {output.Length}");
        }

        var list = output[..length];
        var o = 8 + U16(list, 6);
        while (o < list.Length)
        {
            if (o + 2 > list.Length || o + 2 + list[o + 1] > list.Length)
            {
                throw Fail(EmulatedSense.ParameterListLengthError, "mode page runs past the parameter list");
            }

            var page = list.Slice(o, 2 + list[o + 1]);
            switch (page[0] & 0x3F)
            {
                case 0x05:
                    SelectWriteParameters(page);
                    break;
                case 0x2A:
                    break;
                default:
                    throw Fail(EmulatedSense.InvalidFieldInParameterList, $"mode page {page[0] & 0x3F:X2}h not changeable");
            }

            o += page.Length;
        }

        return length;
    }

    private void SelectWriteParameters(ReadOnlySpan<byte> page)
    {
        if (page.Length < WpDataBlockOffset + 1)
        {
            throw Fail(EmulatedSense.ParameterListLengthError, "write parameters page too short");
        }

        var writeType = (byte)(page[WpWriteTypeOffset] & 0x0F);
        var testWrite = (page[WpWriteTypeOffset] & 0x10) != 0;
        var dataBlockType = (byte)(page[WpDataBlockOffset] & 0x0F);
        if (writeType > 2)
        {
            throw Fail(EmulatedSense.InvalidFieldInParameterList, $"write type {writeType} not supported (0 packet/incremental, 1 TAO, 2 SAO)");
        }

        if (dataBlockType is not (0 or 8))
        {
            throw Fail(EmulatedSense.InvalidFieldInParameterList, $"data block type {dataBlockType} not supported (0 raw 2352, 8 Mode 1 2048)");
        }

        if (testWrite && _disc is { } d && !(EmulatedProfiles.IsCd(d.Profile) || EmulatedProfiles.IsDash(d.Profile)))
        {
            throw Fail(EmulatedSense.InvalidFieldInParameterList, $"test write is not possible on {EmulatedProfiles.Name(d.Profile)}");
        }

        if (!testWrite && _simulation is not null)
        {
            EndSimulation();
        }

        _wp = new WriteParameters(
            writeType,
            testWrite,
            (page[WpWriteTypeOffset] & 0x40) != 0,
            (byte)(page[WpTrackModeOffset] >> 6),
            (byte)(page[WpTrackModeOffset] & 0x0F),
            dataBlockType,
            page.Length > WpSessionFormatOffset ? page[WpSessionFormatOffset] : (byte)0,
            page.Length >= WpPacketSizeOffset + 4 ? U32(page, WpPacketSizeOffset) : 0,
            page.Length >= WpAudioPauseOffset + 2 ? (ushort)U16(page, WpAudioPauseOffset) : (ushort)150);
        UpdateRate();
    }

    /// <summary>GET PERFORMANCE (MMC-6 §6.8): type 00h (performance) and 03h (write speed descriptors).</summary>
    private int GetPerformance(ReadOnlySpan<byte> cdb, Span<byte> input)
    {
        Need(cdb, 12);
        var type = cdb[10];
        var max = U16(cdb, 8);
        var capacity = _disc?.Capacity ?? 0;
        var oneX = EmulatedProfiles.OneXKilobytes(_disc?.Profile ?? EmulatedProfile.CdR);
        var speeds = AllowedSpeeds();
        byte[] r;
        switch (type)
        {
            case 0x00:
            {
                var write = (cdb[1] & 0x04) != 0; // data type bit 2 (Write)
                var n = Math.Min(1, max);
                r = new byte[8 + 16 * n];
                r[4] = (byte)(write ? 0x02 : 0);
                if (n == 1)
                {
                    var kbps = write ? _writeSpeedX * oneX : ReadKilobytesPerSecond(speeds, oneX);
                    Put32(r, 8, 0);
                    Put32(r, 12, kbps);
                    Put32(r, 16, Math.Max(0, capacity - 1));
                    Put32(r, 20, kbps);
                }

                break;
            }

            case 0x03:
            {
                var n = Math.Min(speeds.Count, max);
                r = new byte[8 + 16 * n];
                for (var i = 0; i < n; i++)
                {
                    var o = 8 + 16 * i;
                    Put32(r, o + 4, Math.Max(0, capacity - 1));
                    Put32(r, o + 8, ReadKilobytesPerSecond(speeds, oneX));
                    Put32(r, o + 12, speeds[i] * oneX);
                }

                break;
            }

            default:
                throw Fail(EmulatedSense.InvalidFieldInCdb, $"performance type {type:X2}h not supported");
        }

        Put32(r, 0, r.Length - 4);
        return Reply(input, r, r.Length);
    }

    /// <summary>SET CD SPEED (MMC-6 §6.37): write speed in kB/s at bytes 4-5, FFFFh = fastest.</summary>
    private int SetCdSpeed(ReadOnlySpan<byte> cdb)
    {
        Need(cdb, 12);
        SelectSpeed(U16(cdb, 4));
        return 0;
    }

    /// <summary>SET STREAMING (MMC-6 §6.38), type 0: write speed = write size (kB) / write time (ms).</summary>
    private int SetStreaming(ReadOnlySpan<byte> cdb, ReadOnlySpan<byte> output)
    {
        Need(cdb, 12);
        if (cdb[8] != 0)
        {
            throw Fail(EmulatedSense.InvalidFieldInCdb, $"streaming type {cdb[8]:X2}h not supported");
        }

        var length = U16(cdb, 9);
        if (length < 28 || output.Length < 28)
        {
            throw Fail(EmulatedSense.ParameterListLengthError, $"performance descriptor needs 28 bytes, got {Math.Min(length, output.Length)}");
        }

        // Performance descriptor: byte 0 WRC 4-3, RDD bit 2, Exact bit 1, RA bit 0; start LBA 4-7, end LBA 8-11,
        // read size 12-15 / read time 16-19, write size 20-23 (kB) / write time 24-27 (ms).
        if ((output[0] & 0x04) != 0)
        {
            SelectSpeed(0xFFFF); // RDD: back to the default, the fastest
            return Math.Min(length, output.Length);
        }

        if (U32(output, 8) < U32(output, 4))
        {
            throw Fail(EmulatedSense.InvalidFieldInParameterList, $"end LBA {U32(output, 8)} before start LBA {U32(output, 4)}");
        }

        var size = U32(output, 20);
        var time = U32(output, 24);
        if (time == 0)
        {
            throw Fail(EmulatedSense.InvalidFieldInParameterList, "write time 0");
        }

        SelectSpeed((long)size * 1000 / time);
        return Math.Min(length, output.Length);
    }

    // Reported read speed: the modelled one (read-speed) when reads are throttled, else the fastest write speed as before.
    private int ReadKilobytesPerSecond(IReadOnlyList<int> speeds, int oneX) =>
        Math.Min(0xFFFF, (ReadSpeedFor(_disc) is > 0 and var x ? x : speeds[0]) * oneX);

    private void SelectSpeed(long kilobytesPerSecond)
    {
        var speeds = AllowedSpeeds();
        var oneX = EmulatedProfiles.OneXKilobytes(_disc?.Profile ?? EmulatedProfile.CdR);
        var chosen = speeds[^1];
        if (kilobytesPerSecond >= 0xFFFF)
        {
            chosen = speeds[0];
        }
        else
        {
            foreach (var s in speeds)
            {
                if (s * oneX <= kilobytesPerSecond)
                {
                    chosen = s;
                    break;
                }
            }
        }

        _writeSpeedX = chosen;
        UpdateRate();
    }
}
