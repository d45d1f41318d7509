using System.Net;
using System.Net.Sockets;

namespace SmartShare.Node.Reachability.NatPmp;

/// <summary>How NAT-PMP and PCP requests are sent: where, and how often they are sent again.</summary>
public sealed record NatPmpOptions
{
    /// <summary>The gateway to ask; null finds the default route's gateway.</summary>
    public IPAddress? Gateway { get; init; }

    /// <summary>The gateway's NAT-PMP/PCP port.</summary>
    public int Port { get; init; } = NatPmpCodec.Port;

    /// <summary>The first wait for an answer; each retry waits twice as long (RFC 6886 §3.1, RFC 6887 §8.1.1).</summary>
    public TimeSpan InitialTimeout { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>How many times one request is sent before the gateway counts as silent (the RFCs go on for a minute; a home router answers in milliseconds).</summary>
    public int Attempts { get; init; } = 4;

    /// <summary>Listen on 224.0.0.1:5350 for the gateway's restart announcements once it has answered.</summary>
    public bool ListenForAnnouncements { get; init; } = true;
}

/// <summary>
/// One request to the gateway's port 5351 and its answer: sent again with doubling waits (all on the
/// <see cref="TimeProvider"/>) until a datagram the caller accepts comes back. Datagrams that do not decode, or
/// answer something else, are ignored; a port-unreachable from the gateway ends the exchange at once.
/// </summary>
internal sealed class GatewayExchange(NatPmpOptions options, TimeProvider time) : IDisposable
{
    private readonly Lock _lock = new();
    private GatewayAnnouncements? _announcements;
    private bool _disposed;

    /// <summary>The gateway multicast that it started or its address changed (see <see cref="GatewayAnnouncements"/>).</summary>
    public event Action? Announced;

    /// <summary>The gateway in use, found on first use.</summary>
    public IPAddress? Gateway { get; private set; } = options.Gateway;

    /// <summary>Finds the gateway (the options' one, else the default route's); false when there is none.</summary>
    public bool TryFindGateway()
    {
        Gateway ??= options.Gateway ?? DefaultGateway.Find();
        return Gateway is not null;
    }

    /// <summary>Sends <paramref name="request"/> (built with the local address facing the gateway) until <paramref name="accept"/> returns an answer; null when none came.</summary>
    public async Task<T?> RequestAsync<T>(Func<IPAddress, byte[]> request, Func<byte[], T?> accept, CancellationToken cancellationToken)
        where T : class
    {
        if (!TryFindGateway())
        {
            return null;
        }

        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        await socket.ConnectAsync(new IPEndPoint(Gateway!, options.Port), cancellationToken);
        var local = ((IPEndPoint)socket.LocalEndPoint!).Address;
        var datagram = request(local);
        var buffer = new byte[PcpCodec.MaxMessage + 1];
        var wait = options.InitialTimeout;
        for (var attempt = 0; attempt < options.Attempts; attempt++, wait *= 2)
        {
            // The wait starts before the send, so an answer (or a test's clock) can never come before it.
            using var deadline = new CancellationTokenSource(wait, time);
            try
            {
                await socket.SendAsync(datagram, SocketFlags.None, cancellationToken);
            }
            catch (SocketException)
            {
                return null;
            }

            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
            while (true)
            {
                int received;
                try
                {
                    received = await socket.ReceiveAsync(buffer, SocketFlags.None, linked.Token);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    break;
                }
                catch (SocketException error) when (error.SocketErrorCode is SocketError.ConnectionRefused or SocketError.ConnectionReset)
                {
                    // The gateway said nothing listens on its port 5351.
                    return null;
                }

                if (accept(buffer[..received]) is { } answer)
                {
                    ListenForAnnouncements(local);
                    return answer;
                }
            }
        }

        return null;
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            _announcements?.Dispose();
            _announcements = null;
        }
    }

    private void ListenForAnnouncements(IPAddress local)
    {
        lock (_lock)
        {
            if (!options.ListenForAnnouncements || _announcements is not null || _disposed || Gateway is null)
            {
                return;
            }

            _announcements = GatewayAnnouncements.TryStart(Gateway, local, time, () => Announced?.Invoke());
        }
    }
}
