using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Duplicator.Drivers.Imapi;
using Duplicator.Drivers.Transport;
using Duplicator.Drivers.Transport.Iscsi;
using Duplicator.Drivers.Transport.SgIo;
using Duplicator.Mastering.Imapi;

namespace Duplicator.Drivers.Tests.Iscsi; // see TgtTarget.cs for why not ".Transport"

/// <summary>
/// A target that accepts TCP and then never says a word (a hung tgtd, a port forwarded to nothing): the
/// login must fail within its deadline, not hang the drive's thread. The listener is real, in this process.
/// </summary>
public sealed class IscsiDeadlineTests : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly List<Socket> _accepted = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    public IscsiDeadlineTests()
    {
        _listener.Start();
        _accepting = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    var s = await _listener.AcceptSocketAsync(_stop.Token);
                    lock (_accepted) _accepted.Add(s); // held open, never read, never answered
                }
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException or InvalidOperationException)
            {
                // the listener was stopped
            }
        });
    }

    private int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        _accepting.Wait(TimeSpan.FromSeconds(5));
        lock (_accepted)
            foreach (var s in _accepted) s.Dispose();
    }

    [Fact]
    public void A_target_that_never_answers_the_login_fails_within_the_login_timeout()
    {
        var url = $"iscsi://127.0.0.1:{Port}/iqn.2026-11.org.duplicator:silent/0?login-timeout=3";
        var watch = Stopwatch.StartNew();
        var e = Assert.Throws<TransportException>(() => IscsiTransport.Connect(url));
        watch.Stop();
        Assert.Contains("cannot log in within 3 s", e.Message);
        Assert.True(e.IsTransient);
        Assert.True(watch.Elapsed >= TimeSpan.FromSeconds(2), $"gave up after {watch.Elapsed}, before the deadline");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"took {watch.Elapsed}: the deadline did not hold");
        lock (_accepted) Assert.NotEmpty(_accepted); // it did connect: the silence after accept is what timed out
    }

    [Fact]
    public void The_locator_reports_the_silent_target_as_not_accessible()
    {
        var url = $"iscsi://127.0.0.1:{Port}/iqn.2026-11.org.duplicator:silent/0?login-timeout=2";
        var watch = Stopwatch.StartNew();
        var e = Assert.Throws<ImapiException>(() => RecorderLocator.Open(url));
        Assert.Equal(ImapiError.DeviceNotAccessible, e.Code);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"took {watch.Elapsed}");
    }

    [Theory]
    [InlineData("iscsi://h:3260/iqn.x:y/0", 15)]
    [InlineData("iscsi://h/iqn.x:y/0?login-timeout=7", 7)]
    [InlineData("iscsi://[::1]:3261/iqn.x:y/4?login-timeout=300", 300)]
    public void The_login_timeout_comes_from_the_url_or_defaults_to_15_seconds(string url, int seconds)
    {
        Assert.Equal(TimeSpan.FromSeconds(seconds), IscsiTransport.Parse(url).LoginTimeout);
    }

    [Theory]
    [InlineData("iscsi://h/iqn.x:y/0?login-timeout=0")]
    [InlineData("iscsi://h/iqn.x:y/0?login-timeout=301")]
    [InlineData("iscsi://h/iqn.x:y/0?retries=3")]
    [InlineData("iscsi://h:0/iqn.x:y/0")]
    [InlineData("iscsi://h:65536/iqn.x:y/0")]
    [InlineData("iscsi://h:x/iqn.x:y/0")]
    [InlineData("iscsi://h/iqn.x:y/256")]
    [InlineData("iscsi://h/iqn.x:y/-1")]
    [InlineData("iscsi://h//0")]
    [InlineData("iscsi://:3260/iqn.x:y/0")]
    [InlineData("iscsi://h/iqn x/0")]
    public void Urls_that_would_fail_at_login_are_refused_by_the_parser(string url)
    {
        var e = Assert.Throws<ImapiException>(() => RecorderLocator.Validate(url));
        Assert.Equal(ImapiError.InvalidInput, e.Code);
        Assert.StartsWith(url, e.Message);
    }

    [Fact]
    public void Sg_io_opens_only_a_scsi_device()
    {
        var e = Assert.Throws<TransportException>(() => SgIoTransport.Open("/dev/null"));
        Assert.Contains("not a SCSI generic or CD device", e.Message);
        var file = Path.GetTempFileName();
        try
        {
            Assert.Contains("not a SCSI device: it is a regular file", Assert.Throws<TransportException>(() => SgIoTransport.Open(file)).Message);
        }
        finally
        {
            File.Delete(file);
        }
        Assert.Contains("no such device", Assert.Throws<TransportException>(() => SgIoTransport.Open("/dev/sg-none-here")).Message);
    }
}
