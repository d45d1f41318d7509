using System.Net;
using System.Net.Sockets;
using SmartShare.Lbry.BlobExchange;
using SmartShare.Lbry.Blobs;
using SmartShare.Lbry.Tests.Support;

namespace SmartShare.Lbry.Tests.BlobExchange;

/// <summary>The server's second listener (the node's IPv6 side): same port number, IPv6 only, closed with the server.</summary>
public sealed class BlobExchangeServerIpv6Tests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task A_blob_is_served_over_ipv6_loopback_on_the_ipv4_port_number_and_the_socket_closes_with_the_server()
    {
        var store = LbryStorage.Open(_temp.Combine("data")).Blobs;
        var content = new byte[100_000];
        new Random(7).NextBytes(content);
        var (hash, _) = store.Add(content);
        var server = new BlobExchangeServer(store);
        server.Start(new IPEndPoint(IPAddress.Loopback, 0));
        var port = server.LocalEndPoint.Port;

        var ipv6 = server.ListenAlso(new IPEndPoint(IPAddress.IPv6Loopback, port));

        Assert.Equal(new IPEndPoint(IPAddress.IPv6Loopback, port), ipv6);
        Assert.Equal([server.LocalEndPoint, ipv6], server.LocalEndPoints);
        await using (var connection = await new BlobExchangeClient().ConnectAsync(ipv6, CancellationToken.None))
        {
            using var blob = await connection.DownloadAsync(hash, content.Length, CancellationToken.None);
            Assert.True(blob.Content.Span.SequenceEqual(content));
        }

        await server.DisposeAsync();
        using var again = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp) { DualMode = false };
        again.Bind(ipv6);
    }

    [Fact]
    public async Task A_second_listener_on_a_taken_address_throws_and_the_first_keeps_serving()
    {
        var store = LbryStorage.Open(_temp.Combine("data")).Blobs;
        var (hash, _) = store.Add([1, 2, 3]);
        await using var server = new BlobExchangeServer(store);
        server.Start(new IPEndPoint(IPAddress.Loopback, 0));
        using var taken = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp) { DualMode = false };
        taken.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 0));
        taken.Listen();

        Assert.Throws<SocketException>(() => server.ListenAlso((IPEndPoint)taken.LocalEndPoint!));

        Assert.Equal([server.LocalEndPoint], server.LocalEndPoints);
        await using var connection = await new BlobExchangeClient().ConnectAsync(server.LocalEndPoint, CancellationToken.None);
        using var blob = await connection.DownloadAsync(hash, 3, CancellationToken.None);
        Assert.Equal([1, 2, 3], blob.Content.ToArray());
    }
}
