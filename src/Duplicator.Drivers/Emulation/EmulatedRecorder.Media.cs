using Duplicator.Mastering.Media;

namespace Duplicator.Drivers.Emulation;

// Recording, reading and medium-changing commands.
public sealed partial class EmulatedRecorder
{
    /// <summary>WRITE(10) / WRITE(12) (MMC-6 §6.44, §6.45).</summary>
    private int Write(ReadOnlySpan<byte> cdb, int length, ReadOnlySpan<byte> output)
    {
        Need(cdb, length);
        var disc = RequireDisc();
        long lba = (int)U32(cdb, 2);
        long blocks = length == 10 ? U16(cdb, 7) : U32(cdb, 6);
        if (disc.Cue is { LeadInStart: { } leadInStart } leadInCue && _wp.WriteType == 2 && lba < leadInCue.ProgramStart && !disc.Finalized)
        {
            WriteLeadIn(disc, leadInCue, leadInStart, lba, blocks, output);
            return output.Length;
        }

        var blockSize = CurrentBlockSize;
        if (!EmulatedProfiles.IsCd(disc.Profile) && _wp.DataBlockType != 8)
        {
            throw Fail(EmulatedSense.IllegalModeForThisTrack, $"data block type {_wp.DataBlockType} on {EmulatedProfiles.Name(disc.Profile)}");
        }

        if (output.Length != blocks * blockSize)
        {
            throw Fail(EmulatedSense.IllegalModeForThisTrack, $"{output.Length} bytes for {blocks} blocks of {blockSize}");
        }

        if (blocks == 0)
        {
            return 0;
        }

        var audio = blockSize == MediaCapacity.AudioBlockSize;
        if (disc.Profile == EmulatedProfile.DvdPlusRw)
        {
            if (!disc.Formatted)
            {
                throw Fail(EmulatedSense.MediumNotFormatted, "DVD+RW not formatted");
            }

            if (lba < 0 || lba + blocks > disc.FormattedBlocks)
            {
                throw Fail(EmulatedSense.LbaOutOfRange, $"write {lba}+{blocks} past formatted size {disc.FormattedBlocks}");
            }

            Record(disc, lba, blocks, output, blockSize);
            return output.Length;
        }

        if (disc.Finalized)
        {
            throw Fail(EmulatedSense.CannotWriteIncompatibleFormat, "disc is closed");
        }

        if (disc.Stride is { } stride && stride != blockSize)
        {
            throw Fail(EmulatedSense.IllegalModeForThisTrack, $"{blockSize}-byte blocks on a disc recorded with {stride}-byte blocks");
        }

        if (EmulatedProfiles.IsCd(disc.Profile) && _wp.WriteType == 2)
        {
            WriteSessionAtOnce(disc, lba, blocks, output, blockSize, audio);
            return output.Length;
        }

        if (disc.Cue is not null)
        {
            throw Fail(EmulatedSense.CommandSequenceError, "a cue sheet is pending: write type must stay SAO");
        }

        var nwa = disc.Nwa;
        if (lba != nwa)
        {
            throw Fail(EmulatedSense.InvalidAddressForWrite, $"write at {lba}, NWA is {nwa}");
        }

        var open = disc.OpenTrack;
        if (open is { Planned: { } planned } && lba + blocks > open.Start + planned)
        {
            throw Fail(EmulatedSense.InvalidAddressForWrite, $"write {lba}+{blocks} past reserved track end {open.Start + planned}");
        }

        if (lba + blocks > disc.Capacity)
        {
            throw Fail(EmulatedSense.LbaOutOfRange, $"write {lba}+{blocks} past capacity {disc.Capacity}");
        }

        if (open is not null && open.Recorded > 0 && open.Audio != audio)
        {
            throw Fail(EmulatedSense.IllegalModeForThisTrack, $"{blockSize}-byte blocks into a {(open.Audio ? "CD-DA" : "data")} track");
        }

        BeginSimulationIfAsked(disc);
        ThrowIfWriteFails(lba, blocks);

        if (open is null)
        {
            open = new EmulatedTrack { Number = disc.Tracks.Count + 1, Session = disc.CurrentSession, Start = nwa, Audio = audio };
            disc.Tracks.Add(open);
        }
        else if (open.Recorded == 0 && open.Audio != audio)
        {
            // A reserved track takes the mode of its first write.
            var replaced = new EmulatedTrack { Number = open.Number, Session = open.Session, Start = open.Start, Audio = audio, Planned = open.Planned, Reserved = open.Reserved };
            disc.Tracks[^1] = replaced;
            open = replaced;
        }

        Record(disc, lba, blocks, output, blockSize);
        open.Recorded += blocks;
        return output.Length;
    }

    private void WriteSessionAtOnce(EmulatedDisc disc, long lba, long blocks, ReadOnlySpan<byte> output, int blockSize, bool audio)
    {
        if (disc.Cue is not { } cue)
        {
            throw Fail(EmulatedSense.CommandSequenceError, "SAO write without a cue sheet");
        }

        if (lba != disc.DaoNext)
        {
            throw Fail(EmulatedSense.InvalidAddressForWrite, $"write at {lba}, next cue sheet address is {disc.DaoNext}");
        }

        if (lba + blocks > cue.LeadOut)
        {
            throw Fail(EmulatedSense.LbaOutOfRange, $"write {lba}+{blocks} past the cue sheet's lead-out {cue.LeadOut}");
        }

        foreach (var region in cue.Regions)
        {
            if (region.Start < lba + blocks && region.End > lba && region.Audio != audio)
            {
                throw Fail(EmulatedSense.IllegalModeForThisTrack, $"{blockSize}-byte blocks into cue sheet region {region.Start}..{region.End}");
            }
        }

        BeginSimulationIfAsked(disc);
        ThrowIfWriteFails(lba, blocks);

        Record(disc, lba, blocks, output, blockSize);
        disc.DaoNext = lba + blocks;
        foreach (var t in disc.Tracks.Where(t => t.Session == disc.CurrentSession))
        {
            t.Recorded = Math.Clamp(disc.DaoNext - t.Start, 0, t.Planned ?? 0);
        }
    }

    /// <summary>Bytes per lead-in block of R-W sub-channel: four CD-TEXT packs of 24 six-bit symbols.</summary>
    private const int LeadInBlockBytes = 96;

    /// <summary>
    /// SAO with CD-TEXT (lead-in data form 41h): the host writes the lead-in from its start (the ATIP's) to the
    /// program, 96 bytes of packed R-W a block, four packs each, its pack list repeated in cycles. Every pack's CRC
    /// is checked (a bad one is a parameter error, as the drive would record garbage); the first cycle is kept.
    /// </summary>
    private void WriteLeadIn(EmulatedDisc disc, CueSheet cue, long leadInStart, long lba, long blocks, ReadOnlySpan<byte> output)
    {
        if (lba != disc.DaoNext)
        {
            throw Fail(EmulatedSense.InvalidAddressForWrite, $"lead-in write at {lba}, next address is {disc.DaoNext} (lead-in starts at {leadInStart})");
        }

        if (lba + blocks > cue.ProgramStart)
        {
            throw Fail(EmulatedSense.InvalidAddressForWrite, $"lead-in write {lba}+{blocks} runs past the program start {cue.ProgramStart}");
        }

        if (output.Length != blocks * LeadInBlockBytes)
        {
            throw Fail(EmulatedSense.IllegalModeForThisTrack, $"{output.Length} bytes for {blocks} lead-in blocks of {LeadInBlockBytes} (R-W sub-channel)");
        }

        BeginSimulationIfAsked(disc);
        ThrowIfWriteFails(lba, blocks);
        // All packs are checked before any is kept: a refused WRITE changes nothing.
        var received = new List<byte[]>(output.Length / 24);
        for (var k = 0; k < output.Length / 24; k++)
        {
            var pack = new byte[18];
            Duplicator.Mastering.Audio.CdTextPacks.FromSixBit(output.Slice(k * 24, 24), pack);
            if (!Duplicator.Mastering.Audio.CdTextPacks.CrcValid(pack))
            {
                throw Fail(EmulatedSense.InvalidFieldInParameterList, $"lead-in block {lba + k / 4}: CD-TEXT pack {k % 4} has a bad CRC");
            }

            received.Add(pack);
        }

        var packs = disc.LeadInPacks;
        foreach (var pack in received)
        {
            if (disc.LeadInCycleComplete)
            {
                break;
            }

            if (packs.Count > 0 && pack.AsSpan().SequenceEqual(packs[0]))
            {
                disc.LeadInCycleComplete = true;
            }
            else if (packs.Count >= Duplicator.Mastering.Audio.CdTextPacks.MaxPacks)
            {
                throw Fail(EmulatedSense.InvalidFieldInParameterList, $"lead-in at block {lba}: more than {Duplicator.Mastering.Audio.CdTextPacks.MaxPacks} CD-TEXT packs before the first repeats");
            }
            else
            {
                packs.Add(pack);
            }
        }

        // The disc turns at the write speed in the lead-in too: time it as full blocks.
        _buffer.Write(blocks * MediaCapacity.AudioBlockSize);
        disc.DaoNext = lba + blocks;
    }

    private void Record(EmulatedDisc disc, long lba, long blocks, ReadOnlySpan<byte> output, int blockSize)
    {
        ThrowIfWriteFails(lba, blocks);

        if (!_wp.TestWrite)
        {
            disc.Store(lba, output, blockSize);
        }

        // A slowdown (slow-at) starting inside this WRITE times the two parts at their own rates.
        var end = lba + blocks;
        for (var at = lba; at < end;)
        {
            var (slow, until) = Faults.SlowdownAt(at, end);
            if (slow != _slowSpeedX)
            {
                _slowSpeedX = slow;
                UpdateRate();
            }

            _buffer.Write((until - at) * blockSize);
            at = until;
        }
    }

    // SBC-3 §4.14.2: a medium error names the first block in error in the INFORMATION field (CD pregap LBAs
    // below 0 have no such address, so VALID stays clear for them).
    private void ThrowIfWriteFails(long lba, long blocks)
    {
        if (Faults.FirstWriteError(lba, blocks) is { } bad)
        {
            throw new SenseException(EmulatedSense.WriteError, $"injected write error at {bad} in {lba}+{blocks}", bad is >= 0 and <= uint.MaxValue ? (uint)bad : null);
        }
    }

    // An unreadable= block: the drive gives up on it, as on a scratched disc (SBC-3 §4.14.2: its LBA in INFORMATION).
    private void ThrowIfUnreadable(long lba, long blocks)
    {
        if (Faults.FirstUnreadable(lba, blocks) is { } bad)
        {
            throw new SenseException(EmulatedSense.UnrecoveredReadError, $"injected read error at {bad} in {lba}+{blocks}", (uint)bad);
        }
    }

    // A CorruptReadAt block: delivered with byte 0 inverted, no sense (the stored disc is untouched).
    private void CorruptAsArmed(long lba, Span<byte> delivered, int size)
    {
        if (size == 0)
        {
            return;
        }

        foreach (var bad in Faults.CorruptReads(lba, delivered.Length / size))
        {
            delivered[(int)(bad - lba) * size] ^= 0xFF;
        }
    }

    private void BeginSimulationIfAsked(EmulatedDisc disc)
    {
        if (_wp.TestWrite && _simulation is null)
        {
            _simulation = disc.Snapshot();
        }
    }

    private void EndSimulation()
    {
        if (_simulation is { } s && _disc is { } d)
        {
            _buffer.Flush();
            d.Restore(s);
        }

        _simulation = null;
    }

    /// <summary>READ(10) / READ(12) (MMC-6 §6.15, §6.16): 2048-byte user data of recorded data blocks.</summary>
    private int Read(ReadOnlySpan<byte> cdb, int length, Span<byte> input)
    {
        Need(cdb, length);
        var disc = RequireDisc();
        long lba = (int)U32(cdb, 2);
        long blocks = length == 10 ? U16(cdb, 7) : U32(cdb, 6);
        if (blocks == 0)
        {
            return 0;
        }

        var track = ReadableTrack(disc, lba, blocks);
        if (track.Audio)
        {
            throw Fail(EmulatedSense.IllegalModeForThisTrack, $"READ of CD-DA block {lba}; use READ CD");
        }

        ThrowIfUnreadable(lba, blocks);
        var bytes = (int)Math.Min(input.Length, blocks * MediaCapacity.DataBlockSize) / MediaCapacity.DataBlockSize * MediaCapacity.DataBlockSize;
        disc.Load(lba, input[..bytes], MediaCapacity.DataBlockSize);
        CorruptAsArmed(lba, input[..bytes], MediaCapacity.DataBlockSize);
        PaceRead(disc, bytes, MediaCapacity.DataBlockSize);
        return bytes;
    }

    private static EmulatedTrack ReadableTrack(EmulatedDisc disc, long lba, long blocks)
    {
        // Track 1's pregap past LBA 0 (a hidden track before INDEX 01) is readable and belongs to track 1.
        var track = disc.TrackAt(lba) ?? disc.Tracks.FirstOrDefault(t => t.PregapStart is { } p && lba >= Math.Max(0, p) && lba < t.Start);
        if (track is null || lba + blocks > track.Start + track.Recorded)
        {
            throw Fail(EmulatedSense.LbaOutOfRange, $"read {lba}+{blocks}: not recorded");
        }

        return track;
    }

    /// <summary>
    /// READ CD (MMC-6 §6.19): user data (2352 bytes of CD-DA, 2048 of Mode 1) and, with sub-channel selection 010b,
    /// the 16-byte formatted Q of each block after it (see <see cref="FormattedQ"/>); C2 and raw P-W are refused.
    /// </summary>
    private int ReadCd(ReadOnlySpan<byte> cdb, Span<byte> input)
    {
        Need(cdb, 12);
        var disc = RequireDisc();
        if (!EmulatedProfiles.IsCd(disc.Profile))
        {
            throw Fail(EmulatedSense.CannotReadIncompatibleFormat, "READ CD on a non-CD medium");
        }

        var expected = (cdb[1] >> 2) & 0x07;
        long lba = (int)U32(cdb, 2);
        long blocks = U24(cdb, 6);
        var flags = cdb[9];
        var subchannel = cdb[10] & 0x07;
        if ((subchannel is not (0 or ReadCdSubchannelQ)) || (flags & 0x06) != 0 || expected > 5)
        {
            throw Fail(EmulatedSense.InvalidFieldInCdb, "raw P-W or R-W sub-channel, C2 or reserved sector type requested");
        }

        if (blocks == 0)
        {
            return 0;
        }

        var track = ReadableTrack(disc, lba, blocks);
        if ((expected == 1 && !track.Audio) || (expected >= 2 && track.Audio) || expected >= 3)
        {
            throw Fail(EmulatedSense.IllegalModeForThisTrack, $"expected sector type {expected} does not match block {lba}");
        }

        int size;
        if (track.Audio)
        {
            size = (flags & 0x10) != 0 ? MediaCapacity.AudioBlockSize : 0;
        }
        else
        {
            size = (flags & 0xF8) switch
            {
                0x10 => MediaCapacity.DataBlockSize,
                0x00 => 0,
                _ => throw Fail(EmulatedSense.InvalidFieldInCdb, "raw Mode 1 fields (sync/header/EDC) not supported"),
            };
        }

        var q = subchannel == ReadCdSubchannelQ ? FormattedQSize : 0;
        var stride = size + q;
        if (stride == 0)
        {
            return 0;
        }

        ThrowIfUnreadable(lba, blocks);
        var count = (int)Math.Min(input.Length / stride, blocks);
        if (q == 0)
        {
            disc.Load(lba, input[..(count * size)], size);
            CorruptAsArmed(lba, input[..(count * size)], size);
        }
        else
        {
            var data = new byte[size];
            for (var i = 0; i < count; i++)
            {
                var block = input.Slice(i * stride, stride);
                if (size > 0)
                {
                    disc.Load(lba + i, data, size);
                    data.CopyTo(block);
                    CorruptAsArmed(lba + i, block[..size], size);
                }

                FormattedQ(disc, lba + i, block[size..]);
            }
        }

        if (size > 0)
        {
            PaceRead(disc, count * size, size);
        }

        return count * stride;
    }

    /// <summary>SYNCHRONIZE CACHE (MMC-6 §6.42): waits for the buffer to drain; completes an SAO session whose program is all written (and a DVD-R DAO session whose reserved track is full); closes the open CD TAO track.</summary>
    private int SynchronizeCache(ReadOnlySpan<byte> cdb)
    {
        Need(cdb, 10);
        var disc = RequireDisc();
        _buffer.Flush();
        if (disc.Cue is { } cue && disc.DaoNext == cue.LeadOut)
        {
            CloseSession(disc, finalize: _wp.MultiSession == 0);
        }
        else if (EmulatedProfiles.IsDash(disc.Profile) && _wp.WriteType == 2 && disc.OpenTrack is { Reserved: true, Planned: { } size } reserved && reserved.Recorded == size)
        {
            // DVD-R DAO: the reserved track is the whole session; writing it out and flushing completes the disc.
            CloseSession(disc, finalize: _wp.MultiSession == 0);
        }
        else if (EmulatedProfiles.IsCd(disc.Profile) && _wp.WriteType == 1 && disc.OpenTrack is { Recorded: > 0 } open)
        {
            // CD TAO: flushing the cache ends the track (run-out written); the next one starts after a pregap.
            open.Closed = true;
        }

        return 0;
    }

    /// <summary>CLOSE TRACK/SESSION (MMC-6 §6.3): 001b track, 010b session (CD/DVD-R finalize unless multi-session 11b), 101b/110b finalize (DVD/BD).</summary>
    private int CloseTrackSession(ReadOnlySpan<byte> cdb)
    {
        Need(cdb, 10);
        var disc = RequireDisc();
        var function = cdb[2] & 0x07;
        var number = U16(cdb, 4);
        var cd = EmulatedProfiles.IsCd(disc.Profile);
        if (function is not (1 or 2 or 5 or 6) || (cd && function is 5 or 6))
        {
            throw Fail(EmulatedSense.InvalidFieldInCdb, $"close function {function} not valid for {EmulatedProfiles.Name(disc.Profile)}");
        }

        _buffer.Flush();
        if (disc.Profile == EmulatedProfile.DvdPlusRw || (disc.Finalized && _simulation is null))
        {
            return 0;
        }

        if (disc.Cue is { } cue)
        {
            if (disc.DaoNext != cue.LeadOut)
            {
                throw Fail(EmulatedSense.CommandSequenceError, $"SAO program incomplete at {disc.DaoNext}, lead-out {cue.LeadOut}");
            }

            CloseSession(disc, finalize: _wp.MultiSession == 0);
            return 0;
        }

        if (function == 1)
        {
            if (disc.OpenTrack is { } open)
            {
                if (number != open.Number && number != 0xFF)
                {
                    throw Fail(EmulatedSense.InvalidFieldInCdb, $"close track {number}, open track is {open.Number}");
                }

                CloseTrack(open);
            }

            return 0;
        }

        if (disc.IsBlank)
        {
            throw Fail(EmulatedSense.CommandSequenceError, "nothing recorded to close");
        }

        if (!disc.SessionHasTracks && function == 2)
        {
            return 0;
        }

        var finalize = function is 5 or 6 || ((cd || EmulatedProfiles.IsDash(disc.Profile)) && _wp.MultiSession == 0);
        CloseSession(disc, finalize);
        return 0;
    }

    private void CloseSession(EmulatedDisc disc, bool finalize)
    {
        if (_simulation is not null)
        {
            EndSimulation();
            return;
        }

        if (disc.SessionHasTracks)
        {
            foreach (var t in disc.Tracks.Where(t => t.Session == disc.CurrentSession))
            {
                CloseTrack(t);
            }

            disc.ClosedSessions++;
        }

        disc.Catalog ??= disc.Cue?.Catalog;
        if (disc.Cue is { LeadInStart: not null } && disc.LeadInPacks.Count > 0)
        {
            disc.CdText = [.. disc.LeadInPacks.SelectMany(p => p)];
        }

        disc.Cue = null;
        disc.Finalized |= finalize;
        disc.WriteToc(_options.Name);
        if (disc.Finalized)
        {
            disc.CloseImage();
        }
    }

    // A reserved track closed early is padded to its reserved size by the drive (MMC-5 §6.3.3.4.2).
    private static void CloseTrack(EmulatedTrack track)
    {
        if (track.Reserved && track.Planned is { } planned)
        {
            track.Recorded = planned;
        }

        track.Closed = true;
    }

    /// <summary>RESERVE TRACK (MMC-6 §6.31), ARSV 0: a track of a fixed size at the NWA.</summary>
    private int ReserveTrack(ReadOnlySpan<byte> cdb)
    {
        Need(cdb, 10);
        var disc = RequireDisc();
        if ((cdb[1] & 0x01) != 0)
        {
            throw Fail(EmulatedSense.InvalidFieldInCdb, "ARSV reservation not supported");
        }

        if (disc.Finalized || disc.Profile == EmulatedProfile.DvdPlusRw)
        {
            throw Fail(EmulatedSense.CannotWriteIncompatibleFormat, "cannot reserve a track on this medium");
        }

        if (disc.OpenTrack is not null || disc.Cue is not null)
        {
            throw Fail(EmulatedSense.CommandSequenceError, "a track is already open");
        }

        var size = (long)U32(cdb, 5);
        var start = disc.NextTrackStart;
        if (size == 0)
        {
            throw Fail(EmulatedSense.InvalidFieldInCdb, "reservation size 0");
        }

        if (start + size > disc.Capacity)
        {
            throw Fail(EmulatedSense.LbaOutOfRange, $"reservation {start}+{size} past capacity {disc.Capacity}");
        }

        disc.Tracks.Add(new EmulatedTrack
        {
            Number = disc.Tracks.Count + 1, Session = disc.CurrentSession, Start = start, Planned = size,
            Audio = CurrentBlockSize == MediaCapacity.AudioBlockSize,
            Reserved = true,
        });
        return 0;
    }

    /// <summary>
    /// SEND CUE SHEET (MMC-6 §6.33): 8-byte entries CTL/ADR, TNO, INDEX, DATA FORM, SCMS, MIN, SEC, FRAME, all
    /// binary (as cdrecord sends them). Needs write type SAO and an empty session on CD; the first track entry must
    /// be the session's pregap (LBA −150 on a blank disc); every track holds at least 300 blocks (4 s, MMC-5
    /// §6.33.3.6). Data forms 00h/01h are CD-DA (2352), 10h/14h Mode 1 (2048).
    /// </summary>
    private const long MinimumTrackBlocks = 300;

    private int SendCueSheet(ReadOnlySpan<byte> cdb, ReadOnlySpan<byte> output)
    {
        Need(cdb, 10);
        var disc = RequireDisc();
        var length = U24(cdb, 6);
        if (!EmulatedProfiles.IsCd(disc.Profile) || disc.Finalized)
        {
            throw Fail(EmulatedSense.CannotWriteIncompatibleFormat, "cue sheet needs a CD that is not closed");
        }

        if (_wp.WriteType != 2 || disc.OpenTrack is not null || disc.SessionHasTracks)
        {
            throw Fail(EmulatedSense.CommandSequenceError, "cue sheet needs write type SAO and an empty session");
        }

        if (length % 8 != 0 || length < 24 || output.Length < length)
        {
            throw Fail(EmulatedSense.ParameterListLengthError, $"cue sheet of {length} bytes (data {output.Length}) is not at least 3 whole 8-byte entries");
        }

        var sheet = output[..length];
        var count = length / 8;
        // Media catalog number entries (ADR 2) may come before the lead-in entry.
        var leadIn = 0;
        while (leadIn < count && (sheet[leadIn * 8] & 0x0F) == 2)
        {
            leadIn++;
        }

        if (leadIn >= count - 2 || (sheet[leadIn * 8] & 0x0F) != 1 || sheet[leadIn * 8 + 1] != 0x00 || sheet[(count - 1) * 8 + 1] != 0xAA)
        {
            throw Fail(EmulatedSense.InvalidFieldInParameterList, "cue sheet must start with the lead-in (TNO 0, after any MCN entries) and end with the lead-out (TNO AAh)");
        }

        var catalog = CueCatalog(sheet, leadIn);
        var leadInForm = sheet[leadIn * 8 + 3];
        if (leadInForm is not (0x01 or 0x14 or 0x41 or 0x54))
        {
            throw Fail(EmulatedSense.InvalidFieldInParameterList, $"lead-in data form {leadInForm:X2}h (01h/14h, or 41h/54h with CD-TEXT from the host)");
        }

        var cdTextFromHost = (leadInForm & 0x40) != 0;
        var programStart = disc.NextTrackStart - 150;
        if (cdTextFromHost && programStart != -150)
        {
            throw Fail(EmulatedSense.InvalidFieldInParameterList, "CD-TEXT in the lead-in is written with the first session only");
        }

        var regions = new List<CueRegion>();
        var tracks = new List<(int Number, long Start, bool Audio)>();
        var pregaps = new Dictionary<int, long>();
        var indexes = new Dictionary<int, List<long>>();
        var isrcs = new Dictionary<int, string>();
        long previous = long.MinValue;
        long leadOut = 0;
        for (var i = leadIn + 1; i < count; i++)
        {
            var e = sheet.Slice(i * 8, 8);
            if ((e[0] & 0x0F) == 3)
            {
                // ISRC: two entries with the track number, I1-I6 then I7-I12, before the track's first position entry.
                var isrc = CueIsrc(sheet, i, count);
                if (!isrcs.TryAdd(e[1], isrc))
                {
                    throw Fail(EmulatedSense.InvalidFieldInParameterList, $"cue entry {i}: second ISRC for track {e[1]}");
                }

                i++;
                continue;
            }

            if ((e[0] & 0x0F) != 1)
            {
                throw Fail(EmulatedSense.InvalidFieldInParameterList, $"cue entry {i}: ADR {e[0] & 0x0F} after the lead-in (1 position, 3 ISRC)");
            }

            var address = ((e[5] * 60L) + e[6]) * 75 + e[7] - 150;
            if (e[6] > 59 || e[7] > 74 || address < previous)
            {
                throw Fail(EmulatedSense.InvalidFieldInParameterList, $"cue entry {i}: address {e[5]}:{e[6]}:{e[7]} invalid or out of order");
            }

            previous = address;
            if (e[1] == 0xAA)
            {
                leadOut = address;
                break;
            }

            int tno = e[1];
            int index = e[2];
            var audio = e[3] switch
            {
                0x00 or 0x01 => true,
                0x10 or 0x14 => false,
                _ => throw Fail(EmulatedSense.InvalidFieldInParameterList, $"cue entry {i}: data form {e[3]:X2}h not supported"),
            };
            if (regions.Count == 0 && address != programStart)
            {
                throw Fail(EmulatedSense.InvalidAddressForWrite, $"cue sheet starts at {address}, session program starts at {programStart}");
            }

            if (regions.Count > 0)
            {
                regions[^1] = regions[^1] with { End = address };
            }

            regions.Add(new CueRegion(address, long.MaxValue, audio));
            if (index == 1)
            {
                var expectedNumber = tracks.Count == 0 ? disc.Tracks.Count + 1 : tracks[^1].Number + 1;
                if (tno != expectedNumber)
                {
                    throw Fail(EmulatedSense.InvalidFieldInParameterList, $"cue entry {i}: track {tno}, expected {expectedNumber}");
                }

                tracks.Add((tno, address, audio));
            }
            else if (tno < 1 || tno > 99 || index > 99)
            {
                throw Fail(EmulatedSense.InvalidFieldInParameterList, $"cue entry {i}: track {tno} index {index}");
            }
            else if (index == 0)
            {
                var expectedNumber = tracks.Count == 0 ? disc.Tracks.Count + 1 : tracks[^1].Number + 1;
                if (tno != expectedNumber || !pregaps.TryAdd(tno, address))
                {
                    throw Fail(EmulatedSense.InvalidFieldInParameterList, $"cue entry {i}: INDEX 00 of track {tno}, expected track {expectedNumber}'s, once");
                }
            }
            else
            {
                // INDEX 02..99 of the current track, each the next number (MMC-6 6.33.3.5: consecutive index numbers).
                var list = tracks.Count > 0 && tracks[^1].Number == tno ? indexes.TryGetValue(tno, out var l) ? l : indexes[tno] = [] : null;
                if (list is null || index != list.Count + 2)
                {
                    throw Fail(EmulatedSense.InvalidFieldInParameterList, $"cue entry {i}: INDEX {index:00} of track {tno} out of order");
                }

                list.Add(address);
            }
        }

        if (tracks.Count == 0 || leadOut <= tracks[^1].Start)
        {
            throw Fail(EmulatedSense.InvalidFieldInParameterList, "cue sheet without a track or lead-out after its last track");
        }

        if (leadOut > disc.Capacity)
        {
            throw Fail(EmulatedSense.LbaOutOfRange, $"cue sheet lead-out {leadOut} past capacity {disc.Capacity}");
        }

        regions[^1] = regions[^1] with { End = leadOut };
        long End(int i) => i + 1 < tracks.Count ? tracks[i + 1].Start : leadOut;
        for (var i = 0; i < tracks.Count; i++)
        {
            if (End(i) - tracks[i].Start < MinimumTrackBlocks)
            {
                throw Fail(EmulatedSense.InvalidFieldInParameterList, $"track {tracks[i].Number} has {End(i) - tracks[i].Start} blocks, fewer than {MinimumTrackBlocks} (4 s)");
            }
        }

        foreach (var number in isrcs.Keys)
        {
            if (!tracks.Any(t => t.Number == number))
            {
                throw Fail(EmulatedSense.InvalidFieldInParameterList, $"ISRC for track {number}, which the cue sheet does not hold");
            }
        }

        // A test write must be undone back to before the cue sheet planned its tracks.
        BeginSimulationIfAsked(disc);
        for (var i = 0; i < tracks.Count; i++)
        {
            var end = End(i);
            disc.Tracks.Add(new EmulatedTrack
            {
                Number = tracks[i].Number, Session = disc.CurrentSession, Start = tracks[i].Start,
                Planned = end - tracks[i].Start, Audio = tracks[i].Audio,
                Isrc = isrcs.GetValueOrDefault(tracks[i].Number),
                PregapStart = pregaps.TryGetValue(tracks[i].Number, out var pregap) ? pregap : null,
                Indexes = indexes.TryGetValue(tracks[i].Number, out var points) ? points : [],
            });
        }

        var leadInStart = cdTextFromHost ? AtipLeadInLba : (long?)null;
        disc.Cue = new CueSheet(programStart, leadOut, regions, catalog, leadInStart);
        disc.DaoNext = leadInStart ?? programStart;
        disc.LeadInPacks.Clear();
        disc.LeadInCycleComplete = false;
        return length;
    }

    // Media catalog number: two ADR 2 entries before the lead-in, N1-N7 then N8-N13 and a zero byte, ASCII digits.
    private static string? CueCatalog(ReadOnlySpan<byte> sheet, int entries)
    {
        if (entries == 0)
        {
            return null;
        }

        if (entries != 2 || sheet[15] != 0)
        {
            throw Fail(EmulatedSense.InvalidFieldInParameterList, $"{entries} catalog entries (MCN takes two, the second ending in a zero byte)");
        }

        Span<char> mcn = stackalloc char[13];
        for (var k = 0; k < 13; k++)
        {
            var b = sheet[k < 7 ? 1 + k : 9 + (k - 7)];
            if (b is < (byte)'0' or > (byte)'9')
            {
                throw Fail(EmulatedSense.InvalidFieldInParameterList, $"catalog character {k + 1} is {b:X2}h, not a digit");
            }

            mcn[k] = (char)b;
        }

        return new string(mcn);
    }

    // ISRC: entries i and i+1, ADR 3, same TNO; country (2) and owner (3) letters or digits, year (2) and serial (5) digits.
    private static string CueIsrc(ReadOnlySpan<byte> sheet, int i, int count)
    {
        if (i + 1 >= count || (sheet[(i + 1) * 8] & 0x0F) != 3 || sheet[(i + 1) * 8 + 1] != sheet[i * 8 + 1])
        {
            throw Fail(EmulatedSense.InvalidFieldInParameterList, $"cue entry {i}: an ISRC takes two ADR 3 entries of one track");
        }

        Span<char> isrc = stackalloc char[12];
        for (var k = 0; k < 12; k++)
        {
            var b = sheet[(i + (k / 6)) * 8 + 2 + (k % 6)];
            var ok = k < 5 ? b is (>= (byte)'0' and <= (byte)'9') or (>= (byte)'A' and <= (byte)'Z') : b is >= (byte)'0' and <= (byte)'9';
            if (!ok)
            {
                throw Fail(EmulatedSense.InvalidFieldInParameterList, $"cue entry {i}: ISRC character {k + 1} is {b:X2}h");
            }

            isrc[k] = (char)b;
        }

        return new string(isrc);
    }

    /// <summary>BLANK (MMC-6 §6.2) of a CD-RW or DVD-RW: type 000b full or 001b minimal; the drive then holds a new blank disc of the same kind.</summary>
    private int Blank(ReadOnlySpan<byte> cdb)
    {
        Need(cdb, 12);
        var disc = RequireDisc();
        var type = cdb[1] & 0x07;
        if (!EmulatedProfiles.IsBlankable(disc.Profile))
        {
            throw Fail(EmulatedSense.CannotWriteIncompatibleFormat, $"BLANK on {EmulatedProfiles.Name(disc.Profile)}");
        }

        if (type > 1)
        {
            throw Fail(EmulatedSense.InvalidFieldInCdb, $"blanking type {type} not supported (0 full, 1 minimal)");
        }

        var capacity = disc.Capacity;
        RemoveMedium();
        LoadLocked(disc.Profile, MediumState.Blank, capacity);
        _mediaEvent = MediaEventNone;
        return 0;
    }

    /// <summary>FORMAT UNIT (MMC-6 §6.5) of a DVD+RW: one 8-byte format descriptor of type 26h; FFFFFFFFh blocks = all.</summary>
    private int FormatUnit(ReadOnlySpan<byte> cdb, ReadOnlySpan<byte> output)
    {
        Need(cdb, 6);
        var disc = RequireDisc();
        if (disc.Profile != EmulatedProfile.DvdPlusRw)
        {
            throw Fail(EmulatedSense.CannotWriteIncompatibleFormat, $"FORMAT UNIT on {EmulatedProfiles.Name(disc.Profile)}");
        }

        if ((cdb[1] & 0x10) == 0)
        {
            throw Fail(EmulatedSense.InvalidFieldInCdb, "FORMAT UNIT without FmtData");
        }

        if (output.Length < 12 || U16(output, 2) != 8)
        {
            throw Fail(EmulatedSense.ParameterListLengthError, "format list needs a 4-byte header and one 8-byte descriptor");
        }

        var blocks = (long)U32(output, 4);
        var formatType = output[8] >> 2;
        if (formatType != 0x26)
        {
            throw Fail(EmulatedSense.InvalidFieldInParameterList, $"format type {formatType:X2}h (DVD+RW needs 26h)");
        }

        if (blocks == 0xFFFFFFFF)
        {
            blocks = disc.Capacity;
        }

        if (blocks == 0 || blocks > disc.Capacity)
        {
            throw Fail(EmulatedSense.InvalidFieldInParameterList, $"format size {blocks} not 1..{disc.Capacity}");
        }

        disc.Format(blocks);
        return 12;
    }
}
