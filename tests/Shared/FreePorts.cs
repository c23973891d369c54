using System.Net;
using System.Net.Sockets;

namespace Duplicator.Tests;

/// <summary>
/// Loopback ports for the processes a test starts (control APIs, cluster remoting, PostgreSQL, tgtd). Port 0's answer
/// is an ephemeral port, from the range the kernel also takes every outgoing connection's local port from: between the
/// pick and the child's own bind, a connection of any test may hold it (seen in CI: a tower's remoting could not bind,
/// "Address already in use"). These come from below that range, each handed out once per test process and free to
/// bind when handed out. Linked into every test project that needs it (one file, not one copy per project).
/// </summary>
internal static class FreePorts
{
    private static readonly object Gate = new();
    private static readonly HashSet<int> Given = [];

    /// <summary>A port on 127.0.0.1 that nothing listens on now, below the ephemeral range, never given before here.</summary>
    public static int Next()
    {
        var (low, high) = Range();
        lock (Gate)
        {
            for (int attempt = 0; attempt < 1000; attempt++)
            {
                var port = Random.Shared.Next(low, high);
                if (Given.Contains(port)) continue;
                try
                {
                    using var l = new TcpListener(IPAddress.Loopback, port);
                    l.Start();
                }
                catch (SocketException)
                {
                    continue;
                }
                Given.Add(port);
                return port;
            }
        }
        throw new InvalidOperationException($"no free loopback port in [{low}, {high}) after 1000 tries");
    }

    // Below /proc/sys/net/ipv4/ip_local_port_range's first port (Linux's default 32768), at most 12000 ports wide.
    private static (int Low, int High) Range()
    {
        var ephemeral = 32768;
        try
        {
            var text = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (text.Length > 0 && int.TryParse(text[0], out var first) && first > 2024) ephemeral = first;
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        return (Math.Max(1024, ephemeral - 12000), ephemeral);
    }
}
