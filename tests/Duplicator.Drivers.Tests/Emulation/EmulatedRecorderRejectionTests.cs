using Duplicator.Drivers.Emulation;

namespace Duplicator.Drivers.Tests.Emulation;

public sealed class EmulatedRecorderRejectionTests
{
    [Fact]
    public void Write_past_the_NWA_is_invalid_address_for_write()
    {
        using var d = new EmuDrive(EmulatedProfile.DvdPlusR);
        Sense.Good(d.Out(Cdb.Write10(0, 16), new byte[16 * 2048]));
        Sense.Is(d.Out(Cdb.Write10(32, 16), new byte[16 * 2048]), 0x05, 0x21, 0x02);
        Sense.Is(d.Out(Cdb.Write10(0, 16), new byte[16 * 2048]), 0x05, 0x21, 0x02); // rewriting write-once
        Sense.Good(d.Out(Cdb.Write12(16, 16), new byte[16 * 2048]));
    }

    [Fact]
    public void Data_length_not_matching_the_data_block_type_is_illegal_mode_for_this_track()
    {
        using var d = new EmuDrive(EmulatedProfile.CdR);
        // Default page 05: data block type 8 (2048); 2352-byte blocks do not fit.
        Sense.Is(d.Out(Cdb.Write10(0, 2), new byte[2 * 2352]), 0x05, 0x64, 0x00);
        Sense.Good(d.Out(Cdb.Write10(0, 2), new byte[2 * 2048]));
        // Switching to raw audio mid-track: the open track is Mode 1.
        Sense.Good(d.Out(Cdb.ModeSelect(60), Cdb.WriteParameters(1, 0, 0)));
        Sense.Is(d.Out(Cdb.Write10(2, 1), new byte[2352]), 0x05, 0x64, 0x00);
    }

    [Fact]
    public void Raw_audio_blocks_are_illegal_on_DVD()
    {
        using var d = new EmuDrive(EmulatedProfile.DvdPlusR);
        Sense.Good(d.Out(Cdb.ModeSelect(60), Cdb.WriteParameters(0, 0, 0)));
        Sense.Is(d.Out(Cdb.Write10(0, 1), new byte[2352]), 0x05, 0x64, 0x00);
    }

    [Fact]
    public void Write_to_a_closed_disc_cannot_write_medium()
    {
        using var d = new EmuDrive(EmulatedProfile.DvdPlusR, MediumState.Closed);
        Assert.Equal(2, d.InGood(Cdb.ReadDiscInfo(), 34)[2] & 0x03);
        Sense.Is(d.Out(Cdb.Write10(1024, 1), new byte[2048]), 0x05, 0x30, 0x05);
        Sense.Is(d.Run(Cdb.ReserveTrack(10)), 0x05, 0x30, 0x05);
    }

    [Fact]
    public void More_data_than_the_medium_holds_is_LBA_out_of_range()
    {
        using var d = new EmuDrive(EmulatedProfile.DvdPlusR, capacity: 100);
        Sense.Good(d.Out(Cdb.Write10(0, 96), new byte[96 * 2048]));
        Sense.Is(d.Out(Cdb.Write10(96, 8), new byte[8 * 2048]), 0x05, 0x21, 0x00);
        Sense.Good(d.Out(Cdb.Write10(96, 4), new byte[4 * 2048]));
        Assert.Equal(0u, Pattern.U32(d.InGood(Cdb.ReadTrackInfo(1, 1), 48), 16)); // no free blocks left
    }

    [Fact]
    public void Cue_sheet_past_the_capacity_is_LBA_out_of_range()
    {
        using var d = new EmuDrive(EmulatedProfile.CdR, capacity: 500);
        Sense.Good(d.Out(Cdb.ModeSelect(60), Cdb.WriteParameters(2, 0, 0)));
        var cue = EmulatedRecorderBurnTests.TwoTrackCue(); // lead-out at 750
        Sense.Is(d.Out(Cdb.SendCueSheet(cue.Length), cue), 0x05, 0x21, 0x00);
    }

    [Fact]
    public void Commands_without_a_medium_say_medium_not_present()
    {
        using var d = new EmuDrive(EmulatedProfile.None);
        Sense.Is(d.Out(Cdb.Write10(0, 1), new byte[2048]), 0x02, 0x3A, 0x00);
        Sense.Is(d.Run(Cdb.TestUnitReady()), 0x02, 0x3A, 0x00);
        Sense.Is(d.In(Cdb.ReadDiscInfo(), 34).Result, 0x02, 0x3A, 0x00);
        var sense = d.InGood(Cdb.RequestSense(), 18);
        Assert.Equal(0x70, sense[0]);
        Assert.Equal((2, 0x3A), (sense[2] & 0x0F, sense[12]));
        Assert.Equal(0, Pattern.U16(d.InGood(Cdb.GetConfiguration(), 4096), 6)); // no current profile
    }

    [Fact]
    public void Reading_unwritten_blocks_is_LBA_out_of_range()
    {
        using var d = new EmuDrive(EmulatedProfile.DvdPlusR);
        Sense.Is(d.In(Cdb.Read10(0, 1), 2048).Result, 0x05, 0x21, 0x00);
        Sense.Good(d.Out(Cdb.Write10(0, 16), new byte[16 * 2048]));
        Sense.Good(d.In(Cdb.Read10(0, 16), 16 * 2048).Result);
        Sense.Is(d.In(Cdb.Read10(15, 2), 2 * 2048).Result, 0x05, 0x21, 0x00);
    }

    [Fact]
    public void READ_of_a_CD_DA_block_is_illegal_mode_and_READ_CD_of_a_DVD_is_incompatible()
    {
        using var d = new EmuDrive(EmulatedProfile.CdR);
        Sense.Good(d.Out(Cdb.ModeSelect(60), Cdb.WriteParameters(1, 0, 0)));
        Sense.Good(d.Out(Cdb.Write10(0, 4), new byte[4 * 2352]));
        Sense.Is(d.In(Cdb.Read10(0, 1), 2048).Result, 0x05, 0x64, 0x00);
        Sense.Is(d.In(Cdb.ReadCd(0, 1, expectedType: 2), 2352).Result, 0x05, 0x64, 0x00);
        d.Recorder.LoadMedium(EmulatedProfile.DvdPlusR);
        Sense.Is(d.In(Cdb.ReadCd(0, 1), 2352).Result, 0x05, 0x30, 0x02);
    }

    [Fact]
    public void SAO_needs_a_cue_sheet_and_a_blank_session()
    {
        using var d = new EmuDrive(EmulatedProfile.CdR, MediumState.Appendable);
        Sense.Good(d.Out(Cdb.ModeSelect(60), Cdb.WriteParameters(2, 0, 0)));
        Sense.Is(d.Out(Cdb.Write10(-150, 1), new byte[2352]), 0x05, 0x2C, 0x00);
        // The disc holds a session ending at 1024: a cue sheet starting at 00:00:00 is not at the NWA.
        var cue = EmulatedRecorderBurnTests.TwoTrackCue();
        Sense.Is(d.Out(Cdb.SendCueSheet(cue.Length), cue), 0x05, 0x21, 0x02);
        // TAO write type: SEND CUE SHEET is out of sequence.
        Sense.Good(d.Out(Cdb.ModeSelect(60), Cdb.WriteParameters(1, 0, 0)));
        Sense.Is(d.Out(Cdb.SendCueSheet(cue.Length), cue), 0x05, 0x2C, 0x00);
    }

    [Fact]
    public void Cue_sheet_after_TAO_tracks_in_the_open_session_is_a_command_sequence_error()
    {
        using var d = new EmuDrive(EmulatedProfile.CdR);
        Sense.Good(d.Out(Cdb.ModeSelect(60), Cdb.WriteParameters(1, 0, 0)));
        Sense.Good(d.Out(Cdb.Write10(0, 10), new byte[10 * 2352]));
        Sense.Good(d.Run(Cdb.Close(1, 1)));
        Sense.Good(d.Out(Cdb.ModeSelect(60), Cdb.WriteParameters(2, 0, 0)));
        var cue = EmulatedRecorderBurnTests.TwoTrackCue();
        Sense.Is(d.Out(Cdb.SendCueSheet(cue.Length), cue), 0x05, 0x2C, 0x00);
    }

    [Fact]
    public void Leaving_SAO_with_a_cue_sheet_pending_is_a_command_sequence_error()
    {
        using var d = new EmuDrive(EmulatedProfile.CdR);
        Sense.Good(d.Out(Cdb.ModeSelect(60), Cdb.WriteParameters(2, 0, 0)));
        var cue = EmulatedRecorderBurnTests.TwoTrackCue();
        Sense.Good(d.Out(Cdb.SendCueSheet(cue.Length), cue));
        Sense.Good(d.Out(Cdb.ModeSelect(60), Cdb.WriteParameters(1, 0, 0)));
        Sense.Is(d.Out(Cdb.Write10(-150, 1), new byte[2352]), 0x05, 0x2C, 0x00);
        Sense.Is(d.Run(Cdb.Close(2)), 0x05, 0x2C, 0x00); // program not complete
    }

    [Fact]
    public void Malformed_cue_sheets_and_raw_write_type_are_invalid_parameters()
    {
        using var d = new EmuDrive(EmulatedProfile.CdR);
        Sense.Is(d.Out(Cdb.ModeSelect(60), Cdb.WriteParameters(3, 0, 0)), 0x05, 0x26, 0x00);
        Sense.Is(d.Out(Cdb.ModeSelect(60), Cdb.WriteParameters(1, 2, 0)), 0x05, 0x26, 0x00);
        Sense.Good(d.Out(Cdb.ModeSelect(60), Cdb.WriteParameters(2, 0, 0)));
        var cue = EmulatedRecorderBurnTests.TwoTrackCue();
        cue[^7] = 0x05; // lead-out entry replaced by track 5
        Sense.Is(d.Out(Cdb.SendCueSheet(cue.Length), cue), 0x05, 0x26, 0x00);
        Sense.Is(d.Out(Cdb.SendCueSheet(20), new byte[20]), 0x05, 0x1A, 0x00);
        // A track shorter than 4 s (300 blocks): track 2 ends 299 blocks after its INDEX 01.
        byte[] shortTrack =
        [
            .. EmulatedRecorderBurnTests.CueEntry(0x01, 0x00, 0x00, 0x01, -150),
            .. EmulatedRecorderBurnTests.CueEntry(0x01, 0x01, 0x00, 0x00, -150),
            .. EmulatedRecorderBurnTests.CueEntry(0x01, 0x01, 0x01, 0x00, 0),
            .. EmulatedRecorderBurnTests.CueEntry(0x01, 0x02, 0x01, 0x00, 300),
            .. EmulatedRecorderBurnTests.CueEntry(0x01, 0xAA, 0x01, 0x01, 599),
        ];
        Sense.Is(d.Out(Cdb.SendCueSheet(shortTrack.Length), shortTrack), 0x05, 0x26, 0x00);
        Assert.Equal(0, d.InGood(Cdb.ReadDiscInfo(), 34)[2] & 0x03); // nothing half-accepted: still blank
        var good = EmulatedRecorderBurnTests.TwoTrackCue();
        Sense.Good(d.Out(Cdb.SendCueSheet(good.Length), good));
    }

    [Fact]
    public void BLANK_and_FORMAT_UNIT_refuse_media_they_do_not_apply_to()
    {
        using var d = new EmuDrive(EmulatedProfile.CdR);
        Sense.Is(d.Run(Cdb.Blank(0)), 0x05, 0x30, 0x05);
        Sense.Is(d.Out(Cdb.FormatUnit(), Cdb.FormatList(1000)), 0x05, 0x30, 0x05);
        d.Recorder.LoadMedium(EmulatedProfile.CdRw);
        Sense.Is(d.Run(Cdb.Blank(4)), 0x05, 0x24, 0x00);
        d.Recorder.LoadMedium(EmulatedProfile.DvdMinusR, MediumState.Closed);
        Sense.Is(d.Run(Cdb.Blank(1)), 0x05, 0x30, 0x05); // DVD-R is write-once; DVD-RW is blanked
        d.Recorder.LoadMedium(EmulatedProfile.DvdMinusRwSequential);
        Sense.Is(d.Out(Cdb.FormatUnit(), Cdb.FormatList(1000)), 0x05, 0x30, 0x05);
    }

    [Fact]
    public void Unsupported_opcode_is_invalid_command_operation_code()
    {
        using var d = new EmuDrive(EmulatedProfile.DvdPlusR);
        Sense.Is(d.Run([0x1A, 0, 0x2A, 0, 0xFF, 0]), 0x05, 0x20, 0x00); // MODE SENSE(6)
        Sense.Is(d.Run([0xEA, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]), 0x05, 0x20, 0x00);
    }

    [Fact]
    public void Closing_a_blank_disc_is_a_command_sequence_error()
    {
        using var d = new EmuDrive(EmulatedProfile.DvdPlusR);
        Sense.Is(d.Run(Cdb.Close(2)), 0x05, 0x2C, 0x00);
        Sense.Is(d.Run(Cdb.Close(3)), 0x05, 0x24, 0x00);
    }
}
