using Duplicator.Drivers.Scsi;
using Duplicator.Mastering.Imapi;

namespace Duplicator.Drivers.Tests.Scsi;

public class SenseDataTests
{
    [Fact]
    public void Fixed_format_sense_gives_key_asc_ascq_and_information()
    {
        // SPC-4 Table 51: 70h|VALID, key in byte 2, information 3-6, additional length 7, ASC 12, ASCQ 13
        byte[] sense = [0xF0, 0, 0x05, 0x00, 0x01, 0x02, 0x03, 10, 0, 0, 0, 0, 0x21, 0x02, 0, 0, 0, 0];
        var s = SenseData.Read(sense)!.Value;
        Assert.Equal(SenseKey.IllegalRequest, s.Key);
        Assert.Equal(0x21, s.Asc);
        Assert.Equal(0x02, s.Ascq);
        Assert.Equal(0x00010203u, s.Information);
        Assert.Equal("05/21/02 invalid address for write", s.ToString());
    }

    [Fact]
    public void Descriptor_format_sense_is_read_too()
    {
        // SPC-4 Table 47: 72h, key byte 1, ASC 2, ASCQ 3
        var s = SenseData.Read([0x72, 0x02, 0x3A, 0x00, 0, 0, 0, 0])!.Value;
        Assert.Equal(SenseKey.NotReady, s.Key);
        Assert.Equal("medium not present", s.Describe());
        Assert.Null(s.Information);
    }

    [Fact]
    public void Empty_or_unknown_sense_is_null()
    {
        Assert.Null(SenseData.Read([]));
        Assert.Null(SenseData.Read([0x00, 0x01, 0x02, 0x03]));
    }

    [Theory]
    [InlineData(0x02, 0x3A, 0x00, ImapiError.MediumNotPresent)]
    [InlineData(0x03, 0x0C, 0x00, ImapiError.CannotWriteToMedia)]
    [InlineData(0x05, 0x30, 0x05, ImapiError.MediumInvalidType)]
    [InlineData(0x05, 0x21, 0x00, ImapiError.DiscFull)]
    [InlineData(0x05, 0x21, 0x02, ImapiError.CannotWriteToMedia)]
    [InlineData(0x02, 0x04, 0x01, ImapiError.DeviceNotAccessible)]
    [InlineData(0x05, 0x73, 0x03, ImapiError.CannotWriteToMedia)]
    public void Sense_conditions_map_to_IMAPI_codes(byte key, byte asc, byte ascq, ImapiError expected)
    {
        Assert.Equal(expected, ScsiCommandException.Map(new SenseData((SenseKey)key, asc, ascq)));
    }

    [Fact]
    public void Becoming_ready_and_unit_attention_are_retryable_others_not()
    {
        Assert.True(new ScsiCommandException("d", "TUR", 2, new SenseData(SenseKey.NotReady, 0x04, 0x01)).IsRetryable);
        Assert.True(new ScsiCommandException("d", "TUR", 2, new SenseData(SenseKey.UnitAttention, 0x28, 0x00)).IsRetryable);
        Assert.False(new ScsiCommandException("d", "TUR", 2, new SenseData(SenseKey.NotReady, 0x3A, 0x00)).IsRetryable);
    }
}
