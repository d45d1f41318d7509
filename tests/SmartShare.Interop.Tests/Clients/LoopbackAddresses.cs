using System.Net;
using System.Net.Sockets;

namespace SmartShare.Interop.Tests.Clients;

/// <summary>
/// Distinct loopback addresses 127.0.0.x (x from 2 to 254; Linux answers on all of 127/8) and free ports on
/// them. Transmission keeps one peer per IP (facts point 2), so every client in a test gets its own address.
/// A per-process counter starting at a random base keeps test classes running in parallel apart.
/// </summary>
public static class LoopbackAddresses
{
    private const int First = 2;
    private const int Count = 253;
    private static int _counter = Random.Shared.Next(Count);

    /// <summary>127.0.0.1, where the tracker and aria2 (which binds by interface name) live.</summary>
    public static IPAddress Default => IPAddress.Loopback;

    /// <summary>The next address of this process, 127.0.0.2 to 127.0.0.254 round the clock.</summary>
    public static IPAddress Next()
    {
        var n = Interlocked.Increment(ref _counter);
        return new IPAddress([127, 0, 0, (byte)(First + (n % Count))]);
    }

    /// <summary>A port free for both TCP and UDP on <paramref name="address"/> a moment ago.</summary>
    public static int FreePort(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        for (var attempt = 0; attempt < 100; attempt++)
        {
            using var tcp = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            tcp.Bind(new IPEndPoint(address, 0));
            var port = ((IPEndPoint)tcp.LocalEndPoint!).Port;
            using var udp = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            try
            {
                udp.Bind(new IPEndPoint(address, port));
                return port;
            }
            catch (SocketException)
            {
                // Taken for UDP; try another.
            }
        }

        throw new InvalidOperationException($"Found no port free for both TCP and UDP on {address}.");
    }

    /// <summary>A fresh address with a free TCP+UDP port on it.</summary>
    public static IPEndPoint NextEndpoint()
    {
        var address = Next();
        return new IPEndPoint(address, FreePort(address));
    }

    /// <summary>Waits until something accepts TCP connections on <paramref name="endpoint"/>.</summary>
    public static async Task WaitUntilAcceptingAsync(IPEndPoint endpoint, string what, TimeSpan timeLimit, Func<string>? diagnostics = null)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        await Waiting.UntilAsync(
            async () =>
            {
                using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    using var attempt = new CancellationTokenSource(TimeSpan.FromSeconds(1));
                    await client.ConnectAsync(endpoint, attempt.Token);
                    return true;
                }
                catch (SocketException)
                {
                    return false;
                }
                catch (OperationCanceledException)
                {
                    return false;
                }
            },
            $"{what} accepts connections on {endpoint}",
            timeLimit,
            diagnostics);
    }
}
