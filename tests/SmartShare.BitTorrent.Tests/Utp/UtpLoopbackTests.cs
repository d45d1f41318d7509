using System.Net;
using System.Security.Cryptography;
using SmartShare.BitTorrent.Utp;
using SmartShare.Networking;

namespace SmartShare.BitTorrent.Tests.Utp;

/// <summary>uTP between two of our sockets on real UDP loopback: the handshake, bulk data both ways, and the close.</summary>
public sealed class UtpLoopbackTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Sixteen_mebibytes_cross_each_way_intact_and_both_ends_see_the_close()
    {
        await using var a = SharedUdpPort.Bind(new IPEndPoint(IPAddress.Loopback, 0), SecureRandomSource.Instance);
        await using var b = SharedUdpPort.Bind(new IPEndPoint(IPAddress.Loopback, 0), SecureRandomSource.Instance);
        b.Utp.StartAccepting();
        using var limit = new CancellationTokenSource(Limit);

        var accepting = b.Utp.AcceptAsync(limit.Token);
        var client = await a.Utp.ConnectAsync(b.LocalEndPoint, limit.Token);
        Assert.Equal(UtpConnectionState.Connected, client.State);

        var up = RandomNumberGenerator.GetBytes(16 << 20);
        var down = RandomNumberGenerator.GetBytes(16 << 20);
        var sendingUp = SendAsync(client.Stream, up, limit.Token);
        var server = await accepting;
        var sendingDown = SendAsync(server.Stream, down, limit.Token);
        var receivedUp = ReadExactlyAsync(server.Stream, up.Length, limit.Token);
        var receivedDown = ReadExactlyAsync(client.Stream, down.Length, limit.Token);
        await Task.WhenAll(sendingUp, sendingDown, receivedUp, receivedDown);
        var (gotUp, gotDown) = (await receivedUp, await receivedDown);
        Assert.True(up.AsSpan().SequenceEqual(gotUp));
        Assert.True(down.AsSpan().SequenceEqual(gotDown));

        // Closing one end: the other reads the end of the stream, closes too, and both are forgotten.
        await client.Stream.DisposeAsync();
        var buffer = new byte[16];
        Assert.Equal(0, await server.Stream.ReadAsync(buffer, limit.Token));
        await server.Stream.DisposeAsync();
        while (a.Utp.ConnectionCount + b.Utp.ConnectionCount > 0)
        {
            await Task.Delay(10, limit.Token);
        }
    }

    [Fact]
    public async Task A_port_nobody_accepts_on_refuses_at_once_and_a_silent_one_times_out()
    {
        await using var a = SharedUdpPort.Bind(new IPEndPoint(IPAddress.Loopback, 0), SecureRandomSource.Instance, new UtpOptions { ConnectTimeout = TimeSpan.FromMilliseconds(100) });
        await using var b = SharedUdpPort.Bind(new IPEndPoint(IPAddress.Loopback, 0), SecureRandomSource.Instance);
        using var limit = new CancellationTokenSource(Limit);

        // b takes no uTP (a TCP-only node): its RESET refuses the SYN at once, so a peer can fall back to TCP.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var refused = await Assert.ThrowsAsync<IOException>(() => a.Utp.ConnectAsync(b.LocalEndPoint, limit.Token));
        Assert.Contains("refused", refused.Message, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"refused after {clock.Elapsed}, not at once");
        Assert.InRange(b.Utp.Refused, 1, 4); // a's SYN is resent after 100 ms: under load, before the RESET is back

        // A port where nothing answers at all: the attempt gives up after its SYN retries.
        var silent = new IPEndPoint(IPAddress.Loopback, b.LocalEndPoint.Port);
        await b.DisposeAsync();
        var error = await Assert.ThrowsAsync<IOException>(() => a.Utp.ConnectAsync(silent, limit.Token));
        Assert.Contains("did not answer", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, a.Utp.ConnectionCount);
    }

    private static async Task SendAsync(Stream stream, byte[] data, CancellationToken cancellationToken)
    {
        for (var offset = 0; offset < data.Length; offset += 16 * 1024)
        {
            await stream.WriteAsync(data.AsMemory(offset, Math.Min(16 * 1024, data.Length - offset)), cancellationToken);
        }
    }

    private static async Task<byte[]> ReadExactlyAsync(Stream stream, int length, CancellationToken cancellationToken)
    {
        var buffer = new byte[length];
        await stream.ReadExactlyAsync(buffer, cancellationToken);
        return buffer;
    }
}
