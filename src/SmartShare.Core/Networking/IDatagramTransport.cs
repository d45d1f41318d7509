using System.Net;

namespace SmartShare.Networking;

/// <summary>
/// Unreliable datagrams, the only network primitive the DHT codecs need: UDP sockets in production, an
/// in-process implementation where a test wants one. Received datagrams are lent to the handler for the
/// duration of the call.
/// </summary>
public interface IDatagramTransport
{
    IPEndPoint LocalEndPoint { get; }

    ValueTask SendAsync(ReadOnlyMemory<byte> datagram, IPEndPoint destination, CancellationToken cancellationToken);

    /// <summary>Delivers datagrams to <paramref name="handle"/> one at a time until cancelled.</summary>
    Task RunAsync(Func<ReadOnlyMemory<byte>, IPEndPoint, CancellationToken, ValueTask> handle, CancellationToken cancellationToken);
}
