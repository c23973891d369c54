using System.Runtime.InteropServices;
using Duplicator.Drivers.Imapi;
using Duplicator.Drivers.Transport;
using Duplicator.Drivers.Transport.SgIo;
using Duplicator.Mastering.Imapi;

namespace Duplicator.Drivers.Tests.Iscsi; // see TgtTarget.cs for why not ".Transport"

/// <summary>No SCSI generic devices exist on these machines: the layout and the error mapping are what can be checked.</summary>
public class SgIoTransportTests
{
    [Fact]
    public void Sg_io_hdr_has_the_linux_x86_64_layout()
    {
        Assert.Equal(88, Marshal.SizeOf<SgIoHeader>());
        Assert.Equal(8, (int)Marshal.OffsetOf<SgIoHeader>(nameof(SgIoHeader.CmdLen)));
        Assert.Equal(12, (int)Marshal.OffsetOf<SgIoHeader>(nameof(SgIoHeader.DxferLen)));
        Assert.Equal(40, (int)Marshal.OffsetOf<SgIoHeader>(nameof(SgIoHeader.Timeout)));
        Assert.Equal(64, (int)Marshal.OffsetOf<SgIoHeader>(nameof(SgIoHeader.Status)));
        Assert.Equal(68, (int)Marshal.OffsetOf<SgIoHeader>(nameof(SgIoHeader.HostStatus)));
        Assert.Equal(72, (int)Marshal.OffsetOf<SgIoHeader>(nameof(SgIoHeader.Resid)));
    }

    [Theory]
    [InlineData(0, 0, SgOutcome.Completed)]
    [InlineData(0, 0x08, SgOutcome.Completed)]   // DRIVER_SENSE: sense is in the buffer, the command completed
    [InlineData(3, 0, SgOutcome.TimedOut)]       // DID_TIME_OUT
    [InlineData(0, 0x06, SgOutcome.TimedOut)]    // DRIVER_TIMEOUT
    [InlineData(1, 0, SgOutcome.Gone)]           // DID_NO_CONNECT
    [InlineData(4, 0, SgOutcome.Gone)]           // DID_BAD_TARGET
    [InlineData(2, 0, SgOutcome.Transient)]      // DID_BUS_BUSY
    [InlineData(8, 0, SgOutcome.Transient)]      // DID_RESET
    public void Host_and_driver_status_are_classified(ushort host, ushort driver, SgOutcome expected)
    {
        Assert.Equal(expected, SgIoTransport.Classify(host, driver));
    }

    [Fact]
    public void A_missing_device_is_a_clear_non_transient_failure()
    {
        var e = Assert.Throws<TransportException>(() => SgIoTransport.Open("/dev/sg-does-not-exist"));
        Assert.False(e.IsTransient);
        Assert.Contains("no such device", e.Message);
        var imapi = Assert.Throws<ImapiException>(() => RecorderLocator.Open("/dev/sg-does-not-exist"));
        Assert.Equal(ImapiError.DeviceNotPresent, imapi.Code);
    }

    [Fact]
    public void Candidate_devices_are_only_sg_and_sr_nodes()
    {
        Assert.All(SgIoTransport.CandidateDevices(), p => Assert.Matches("^/dev/s[gr]", p));
    }
}
