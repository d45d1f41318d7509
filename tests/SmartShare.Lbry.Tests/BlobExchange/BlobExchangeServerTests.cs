using System.Net;
using System.Net.Sockets;
using System.Text;
using SmartShare.Lbry.BlobExchange;
using SmartShare.Lbry.Blobs;
using SmartShare.Lbry.Tests.Support;
using SmartShare.Testing;

namespace SmartShare.Lbry.Tests.BlobExchange;

public sealed class BlobExchangeServerTests : IAsyncLifetime, IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private static readonly IPEndPoint AnyLoopbackPort = new(IPAddress.Loopback, 0);

    private readonly TempDirectory _temp = new();
    private readonly ManualTimeProvider _time = new();
    private readonly List<Socket> _sockets = [];
    private BlobStore _store = null!;
    private BlobExchangeServer _server = null!;

    public Task InitializeAsync()
    {
        _store = LbryStorage.Open(_temp.Combine("data")).Blobs;
        _server = StartServer(new BlobExchangeServerOptions());
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        foreach (var socket in _sockets)
        {
            socket.Dispose();
        }

        await _server.DisposeAsync();
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Serves_several_blobs_on_one_kept_alive_connection()
    {
        var big = new byte[BlobStore.MaxBlobSize];
        new Random(1).NextBytes(big);
        var (bigHash, _) = _store.Add(big);
        var (oneHash, _) = _store.Add([42]);
        var descriptor = "{\"blobs\": [], \"stream_name\": \"x\"}"u8.ToArray();
        var (sdHash, _) = _store.Add(descriptor);
        var client = new BlobExchangeClient();
        await using var connection = await client.ConnectAsync(_server.LocalEndPoint, CancellationToken.None);

        using (var blob = await connection.DownloadAsync(bigHash, big.Length, CancellationToken.None))
        {
            Assert.True(blob.Content.Span.SequenceEqual(big));
        }

        using (var blob = await connection.DownloadAsync(oneHash, 1, CancellationToken.None))
        {
            Assert.Equal([42], blob.Content.ToArray());
        }

        var missing = await Assert.ThrowsAsync<BlobExchangeException>(
            () => connection.DownloadAsync(BlobHash.Compute([9, 9]), 2, CancellationToken.None));
        Assert.Equal(BlobExchangeFailure.NotAvailable, missing.Failure);

        using (var blob = await connection.DownloadAsync(sdHash, null, CancellationToken.None))
        {
            Assert.Equal(descriptor, blob.Content.ToArray());
        }

        Assert.Equal(1, _server.ConnectionsAccepted);
        Assert.Equal(3, _server.BlobsServed);
        Assert.Equal(big.Length + 1 + descriptor.Length, _server.BytesServed);
        Assert.Equal(1, _server.RequestsForMissingBlobs);
    }

    [Fact]
    public async Task Sends_the_lbry_sdk_header_then_the_blob_bytes_exactly_as_stored()
    {
        var content = Enumerable.Range(0, 100_000).Select(i => (byte)(i % 253)).ToArray();
        var (hash, _) = _store.Add(content);
        var socket = await ConnectRawAsync();
        var expectedHeader = BlobExchangeCodec.EncodeResponse(new BlobResponse
        {
            IncomingBlob = new IncomingBlob(hash, content.Length),
            BlobDataPaymentRate = BlobResponse.RateAccepted,
            AvailableBlobs = [hash],
            LbrycrdAddress = BlobResponse.ServerAddress,
        });

        await SendAsync(socket, BlobExchangeCodec.EncodeRequest(BlobRequest.ForBlob(hash)));
        var received = await ReceiveExactlyAsync(socket, expectedHeader.Length + content.Length);

        Assert.Equal(Encoding.UTF8.GetString(expectedHeader), Encoding.UTF8.GetString(received, 0, expectedHeader.Length));
        Assert.True(received.AsSpan(expectedHeader.Length).SequenceEqual(File.ReadAllBytes(_store.PathOf(hash))));
    }

    [Fact]
    public async Task Answers_the_lbry_sdk_missing_response_for_a_blob_it_does_not_hold()
    {
        var vectors = Vectors.Load("blob-exchange.json");
        var socket = await ConnectRawAsync();

        await SendAsync(socket, Encoding.UTF8.GetBytes(vectors.GetProperty("request").GetString()!));
        var expected = Encoding.UTF8.GetBytes(vectors.GetProperty("response_missing").GetString()!);
        var received = await ReceiveExactlyAsync(socket, expected.Length);

        Assert.Equal(expected, received);
        Assert.Equal(1, _server.RequestsForMissingBlobs);
    }

    [Fact]
    public async Task Does_not_serve_a_half_written_temporary_file()
    {
        var content = new byte[] { 1, 2, 3, 4 };
        var hash = BlobHash.Compute(content);
        await File.WriteAllBytesAsync(Path.Combine(_store.Directory, ".tmp-" + hash + "-0"), content);
        await using var connection = await new BlobExchangeClient().ConnectAsync(_server.LocalEndPoint, CancellationToken.None);

        var error = await Assert.ThrowsAsync<BlobExchangeException>(() => connection.DownloadAsync(hash, 4, CancellationToken.None));

        Assert.Equal(BlobExchangeFailure.NotAvailable, error.Failure);
    }

    [Fact]
    public async Task Answers_a_request_of_1199_bytes()
    {
        var (hash, _) = _store.Add([7]);
        var start = $"{{\"requested_blob\": \"{hash}\"";
        var request = Encoding.UTF8.GetBytes(start + new string(' ', 1199 - start.Length - 1) + "}");
        var socket = await ConnectRawAsync();

        await SendAsync(socket, request);
        var header = $"{{\"incoming_blob\": {{\"blob_hash\": \"{hash}\", \"length\": 1}}}}";
        var received = await ReceiveExactlyAsync(socket, header.Length + 1);

        Assert.Equal(1199, request.Length);
        Assert.Equal(header, Encoding.UTF8.GetString(received, 0, header.Length));
        Assert.Equal(7, received[^1]);
    }

    [Fact]
    public async Task Closes_the_connection_once_1200_bytes_arrive_without_a_request()
    {
        var socket = await ConnectRawAsync();

        await SendAsync(socket, Encoding.ASCII.GetBytes(new string('{', 1200)));

        await AssertClosedAsync(socket);
    }

    [Theory]
    [InlineData("hello}")]
    [InlineData("{\"unknown\": 1}")]
    [InlineData("{\"requested_blob\": \"ABC\"}")]
    public async Task Closes_the_connection_on_a_request_it_cannot_use(string request)
    {
        var socket = await ConnectRawAsync();

        await SendAsync(socket, Encoding.ASCII.GetBytes(request));

        await AssertClosedAsync(socket);
    }

    [Fact]
    public async Task Closes_a_connection_that_stays_idle_for_30_seconds()
    {
        var socket = await ConnectRawAsync();
        await WaitForAsync(() => _server.ActiveConnections == 1 && _time.PendingCount > 0);

        _time.Advance(TimeSpan.FromSeconds(31));

        await AssertClosedAsync(socket);
        await WaitForAsync(() => _server.ActiveConnections == 0);
    }

    [Fact]
    public async Task A_host_at_its_share_gives_its_longest_idle_connection_to_its_newest_never_a_busy_one()
    {
        await _server.DisposeAsync();
        _server = StartServer(new BlobExchangeServerOptions { MaxConnectionsPerAddress = 2 });
        var (hash, _) = _store.Add([5, 6]);
        var first = await ConnectRawAsync();
        await WaitForAsync(() => _server.ConnectionsAccepted == 1);
        _time.Advance(TimeSpan.FromSeconds(1));
        var second = await ConnectRawAsync();
        await WaitForAsync(() => _server.ConnectionsAccepted == 2);

        var third = await ConnectRawAsync();

        await AssertClosedAsync(first);
        Assert.Equal(1, _server.ConnectionsEvicted);
        Assert.Equal(0, _server.ConnectionsRefused);
        foreach (var socket in new[] { second, third })
        {
            await SendAsync(socket, BlobExchangeCodec.EncodeRequest(new BlobRequest { RequestedBlob = hash }));
            var header = $"{{\"incoming_blob\": {{\"blob_hash\": \"{hash}\", \"length\": 2}}}}";
            Assert.Equal(header.Length + 2, (await ReceiveExactlyAsync(socket, header.Length + 2)).Length);
        }
    }

    [Fact]
    public async Task Idle_connections_from_a_few_hosts_filling_every_slot_do_not_lock_out_a_downloader()
    {
        // Issue 18, measured before: 16 addresses with 16 idle connections each filled the 256 slots, and every
        // other downloader was refused for as long as they were held.
        var (hash, _) = _store.Add([7, 8, 9]);
        for (var host = 2; host < 18; host++)
        {
            for (var i = 0; i < 16; i++)
            {
                await ConnectRawAsync(IPAddress.Parse($"127.0.0.{host}"));
            }
        }

        await WaitForAsync(() => _server.ActiveConnections == 256);

        var client = new BlobExchangeClient();
        await using var connection = await client.ConnectAsync(_server.LocalEndPoint, CancellationToken.None);
        using (var blob = await connection.DownloadAsync(hash, 3, CancellationToken.None))
        {
            Assert.Equal([7, 8, 9], blob.Content.ToArray());
        }

        Assert.Equal(1, _server.ConnectionsEvicted);
        Assert.Equal(0, _server.ConnectionsRefused);
        Assert.Equal(256, _server.ActiveConnections);
    }

    [Fact]
    public async Task Shutting_down_closes_open_connections_and_waits_for_them()
    {
        var socket = await ConnectRawAsync();
        await WaitForAsync(() => _server.ActiveConnections == 1);

        await _server.DisposeAsync();

        Assert.Equal(0, _server.ActiveConnections);
        await AssertClosedAsync(socket);
    }

    private BlobExchangeServer StartServer(BlobExchangeServerOptions options)
    {
        var server = new BlobExchangeServer(_store, options, _time);
        server.Start(AnyLoopbackPort);
        return server;
    }

    private async Task<Socket> ConnectRawAsync(IPAddress? from = null)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _sockets.Add(socket);
        if (from is not null)
        {
            socket.Bind(new IPEndPoint(from, 0));
        }

        await socket.ConnectAsync(_server.LocalEndPoint);
        return socket;
    }

    private static async Task SendAsync(Socket socket, byte[] bytes)
    {
        var sent = 0;
        while (sent < bytes.Length)
        {
            sent += await socket.SendAsync(bytes.AsMemory(sent), SocketFlags.None);
        }
    }

    private static async Task<byte[]> ReceiveExactlyAsync(Socket socket, int length)
    {
        using var timeout = new CancellationTokenSource(Patience);
        var buffer = new byte[length];
        var filled = 0;
        while (filled < length)
        {
            var read = await socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, timeout.Token);
            Assert.True(read > 0, $"The server closed the connection after {filled} of {length} bytes.");
            filled += read;
        }

        return buffer;
    }

    private static async Task AssertClosedAsync(Socket socket)
    {
        using var timeout = new CancellationTokenSource(Patience);
        var buffer = new byte[64];
        try
        {
            while (await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token) > 0)
            {
            }
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
        {
        }
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(Patience);
        while (!condition())
        {
            await Task.Delay(5, timeout.Token);
        }
    }
}
