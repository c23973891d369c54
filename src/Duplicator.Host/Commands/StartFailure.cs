using System.Net.Sockets;
using Duplicator.Host.Configuration;

namespace Duplicator.Host.Commands;

/// <summary>
/// What stopped <c>serve</c> from starting, said as one line an operator can act on (a port another program holds),
/// instead of the actor system's or the host's wrapped exception.
/// </summary>
internal static class StartFailure
{
    /// <summary>
    /// An <see cref="IOException"/> naming the address of <paramref name="config"/> that could not be bound, or null
    /// when <paramref name="failure"/> is not a bind failure (it is then reported as it is).
    /// </summary>
    public static Exception? Describe(Exception failure, TowerConfig config)
    {
        if (Find<SocketException>(failure) is not { } socket) return null;
        if (config.Cluster is { } cluster && Find<Akka.Remote.RemoteTransportException>(failure) != null) // remoting's bind, not the control API's
            return new IOException($"cluster: this tower cannot listen on {cluster.Host}:{cluster.Port} (cluster.host, cluster.port): {socket.Message}", failure);
        return null;
    }

    // Depth-first through inner and aggregated exceptions; bounded, an exception graph is a tree of a few levels.
    private static T? Find<T>(Exception e, int depth = 0) where T : Exception
    {
        if (depth > 16) return null;
        if (e is T t) return t;
        IEnumerable<Exception> inner = e is AggregateException a ? a.InnerExceptions : e.InnerException is { } i ? [i] : [];
        foreach (var x in inner)
            if (Find<T>(x, depth + 1) is { } found) return found;
        return null;
    }
}
