using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using SmartShare.Lbry.BlobExchange;
using SmartShare.Lbry.Blobs;

namespace SmartShare.Lbry.Tests.BlobExchange;

public sealed class BlobExchangeConnectionTests
{
    private static readonly byte[] Content = Enumerable.Range(0, 5000).Select(i => (byte)(i * 7)).ToArray();
    private static readonly BlobHash Hash = BlobHash.Compute(Content);
    private static readonly BlobHash OtherHash = BlobHash.Compute([1, 2, 3]);

    private static readonly BlobExchangeClient Client = new(new BlobExchangeClientOptions
    {
        ConnectTimeout = TimeSpan.FromSeconds(5),
        ResponseTimeout = TimeSpan.FromSeconds(10),
        BlobTimeout = TimeSpan.FromSeconds(10),
    });

    private static byte[] Header(BlobHash? sent, long length, string rate = BlobResponse.RateAccepted, BlobHash[]? available = null) =>
        BlobExchangeCodec.EncodeResponse(new BlobResponse
        {
            IncomingBlob = sent is { } hash ? new IncomingBlob(hash, length) : null,
            BlobDataPaymentRate = rate,
            AvailableBlobs = available ?? (sent is null ? [] : [Hash]),
            LbrycrdAddress = BlobResponse.ServerAddress,
        });

    private static async Task<BlobExchangeException> FailsWith(
        BlobExchangeFailure failure, Func<Socket, int, CancellationToken, Task> answer, int? expectedLength = 5000, BlobExchangeClient? client = null)
    {
        await using var peer = new HostilePeer(answer);
        await using var connection = await (client ?? Client).ConnectAsync(peer.EndPoint, CancellationToken.None);

        var error = await Assert.ThrowsAsync<BlobExchangeException>(() => connection.DownloadAsync(Hash, expectedLength, CancellationToken.None));

        Assert.Equal(failure, error.Failure);
        Assert.Equal(peer.EndPoint, error.Peer);
        Assert.Contains(peer.EndPoint.ToString(), error.Message, StringComparison.Ordinal);
        Assert.Contains(Hash.ToString(), error.Message, StringComparison.Ordinal);
        return error;
    }

    [Fact]
    public async Task Sends_the_lbry_sdk_request_and_returns_the_verified_blob()
    {
        await using var peer = new HostilePeer((socket, _, _) => HostilePeer.SendAsync(socket, Header(Hash, Content.Length), Content));
        await using var connection = await Client.ConnectAsync(peer.EndPoint, CancellationToken.None);

        using var blob = await connection.DownloadAsync(Hash, Content.Length, CancellationToken.None);

        Assert.Equal(Hash, blob.Hash);
        Assert.Equal(Content, blob.Content.ToArray());
        Assert.Equal(Encoding.UTF8.GetString(BlobExchangeCodec.EncodeRequest(BlobRequest.ForBlob(Hash))), Encoding.UTF8.GetString(Assert.Single(peer.Requests)));
    }

    [Fact]
    public async Task Reports_wrong_bytes_as_a_corrupt_blob()
    {
        var wrong = Content.ToArray();
        wrong[100] ^= 1;

        var error = await FailsWith(BlobExchangeFailure.CorruptBlob, (socket, _, _) => HostilePeer.SendAsync(socket, Header(Hash, wrong.Length), wrong));

        Assert.Contains(BlobHash.Compute(wrong).ToString(), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reports_more_bytes_than_announced_as_a_corrupt_blob()
    {
        await FailsWith(BlobExchangeFailure.CorruptBlob, (socket, _, _) => HostilePeer.SendAsync(socket, Header(Hash, Content.Length), Content, [1, 2, 3]));
    }

    [Fact]
    public async Task Reports_a_peer_that_closes_before_the_last_byte_as_closed()
    {
        await FailsWith(BlobExchangeFailure.ConnectionClosed, async (socket, _, _) =>
        {
            await HostilePeer.SendAsync(socket, Header(Hash, Content.Length), Content[..1000]);
            socket.Shutdown(SocketShutdown.Both);
            socket.Close();
        });
    }

    [Fact]
    public async Task Reports_a_peer_that_closes_without_answering_as_closed()
    {
        await FailsWith(BlobExchangeFailure.ConnectionClosed, (socket, _, _) =>
        {
            socket.Close();
            return Task.CompletedTask;
        });
    }

    [Fact]
    public async Task Fails_fast_with_a_protocol_violation_on_a_top_level_error_key_where_lbry_sdk_would_wait()
    {
        await FailsWith(BlobExchangeFailure.ProtocolViolation, (socket, _, _) => HostilePeer.SendAsync(socket, "{\"error\": \"go away\"}"u8.ToArray()));
    }

    [Fact]
    public async Task Reports_a_response_that_is_not_json_as_a_protocol_violation()
    {
        await FailsWith(BlobExchangeFailure.ProtocolViolation, (socket, _, _) => HostilePeer.SendAsync(socket, "HTTP/1.1 400 Bad Request\r\n\r\n"u8.ToArray()));
    }

    [Fact]
    public async Task Times_out_when_the_peer_never_answers()
    {
        var impatient = new BlobExchangeClient(new BlobExchangeClientOptions { ResponseTimeout = TimeSpan.FromMilliseconds(200) });

        var error = await FailsWith(BlobExchangeFailure.TimedOut, (_, _, ct) => Task.Delay(Timeout.Infinite, ct), client: impatient);

        Assert.Contains("did not answer", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Times_out_when_the_blob_body_stalls()
    {
        var impatient = new BlobExchangeClient(new BlobExchangeClientOptions { BlobTimeout = TimeSpan.FromMilliseconds(200) });

        var error = await FailsWith(
            BlobExchangeFailure.TimedOut,
            async (socket, _, ct) =>
            {
                await HostilePeer.SendAsync(socket, Header(Hash, Content.Length), Content[..10]);
                await Task.Delay(Timeout.Infinite, ct);
            },
            client: impatient);

        Assert.Contains("5000 bytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rejects_an_offer_of_another_blob()
    {
        await FailsWith(BlobExchangeFailure.ProtocolViolation, (socket, _, _) => HostilePeer.SendAsync(socket, Header(OtherHash, 3), [1, 2, 3]));
    }

    [Fact]
    public async Task Rejects_a_length_that_differs_from_the_descriptor()
    {
        await FailsWith(BlobExchangeFailure.ProtocolViolation, (socket, _, _) => HostilePeer.SendAsync(socket, Header(Hash, 4999), Content[..4999]));
    }

    [Fact]
    public async Task Rejects_an_sd_blob_announced_larger_than_2_MiB()
    {
        await FailsWith(
            BlobExchangeFailure.ProtocolViolation,
            (socket, _, _) => HostilePeer.SendAsync(socket, Header(Hash, BlobStore.MaxBlobSize + 1)),
            expectedLength: null);
    }

    [Fact]
    public async Task Rejects_a_rate_other_than_accepted()
    {
        var error = await FailsWith(
            BlobExchangeFailure.ProtocolViolation,
            (socket, _, _) => HostilePeer.SendAsync(socket, Header(Hash, Content.Length, BlobResponse.RateTooLow), Content));

        Assert.Contains(BlobResponse.RateTooLow, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rejects_availability_of_other_blobs()
    {
        await FailsWith(
            BlobExchangeFailure.ProtocolViolation,
            (socket, _, _) => HostilePeer.SendAsync(socket, Header(Hash, Content.Length, available: [OtherHash]), Content));
    }

    [Fact]
    public async Task Rejects_a_response_without_available_blobs()
    {
        var header = BlobExchangeCodec.EncodeResponse(new BlobResponse
        {
            IncomingBlob = new IncomingBlob(Hash, Content.Length),
            BlobDataPaymentRate = BlobResponse.RateAccepted,
        });

        await FailsWith(BlobExchangeFailure.ProtocolViolation, (socket, _, _) => HostilePeer.SendAsync(socket, header, Content));
    }

    [Fact]
    public async Task Keeps_the_connection_after_a_peer_says_it_does_not_have_the_blob()
    {
        await using var peer = new HostilePeer((socket, n, _) => n == 0
            ? HostilePeer.SendAsync(socket, Header(null, 0))
            : HostilePeer.SendAsync(socket, Header(Hash, Content.Length), Content));
        await using var connection = await Client.ConnectAsync(peer.EndPoint, CancellationToken.None);

        var error = await Assert.ThrowsAsync<BlobExchangeException>(() => connection.DownloadAsync(Hash, null, CancellationToken.None));
        using var blob = await connection.DownloadAsync(Hash, null, CancellationToken.None);

        Assert.Equal(BlobExchangeFailure.NotAvailable, error.Failure);
        Assert.Equal(Content, blob.Content.ToArray());
    }

    [Fact]
    public async Task Refuses_further_requests_on_a_connection_that_failed()
    {
        await using var peer = new HostilePeer((socket, _, _) => HostilePeer.SendAsync(socket, Header(OtherHash, 3), [1, 2, 3]));
        await using var connection = await Client.ConnectAsync(peer.EndPoint, CancellationToken.None);
        await Assert.ThrowsAsync<BlobExchangeException>(() => connection.DownloadAsync(Hash, null, CancellationToken.None));

        var error = await Assert.ThrowsAsync<BlobExchangeException>(() => connection.DownloadAsync(Hash, null, CancellationToken.None));

        Assert.Equal(BlobExchangeFailure.ConnectionClosed, error.Failure);
    }

    [Fact]
    public async Task Honours_the_callers_cancellation()
    {
        await using var peer = new HostilePeer((_, _, ct) => Task.Delay(Timeout.Infinite, ct));
        await using var connection = await Client.ConnectAsync(peer.EndPoint, CancellationToken.None);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => connection.DownloadAsync(Hash, null, cancel.Token));
    }

    [Fact]
    public async Task Reports_a_refused_connection_as_connect_failed_quickly()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var endPoint = (IPEndPoint)listener.LocalEndpoint;
        listener.Stop();
        var clock = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<BlobExchangeException>(() => Client.ConnectAsync(endPoint, CancellationToken.None));

        Assert.Equal(BlobExchangeFailure.ConnectFailed, error.Failure);
        Assert.Equal(endPoint, error.Peer);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"Took {clock.Elapsed}.");
    }
}
