using System.Net;
using System.Text;
using SmartShare.BitTorrent.Dht;
using SmartShare.Kademlia;
using SmartShare.Networking;
using SmartShare.Testing;

namespace SmartShare.BitTorrent.Tests.Dht;

/// <summary>BEP 42's <c>ip</c>: read from answers to our queries (our address as the answering node sees it), written into our answers.</summary>
public sealed class Bep42IpTests : IAsyncLifetime
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(20);
    private static readonly NodeId Mno = NodeId.FromBytes(Encoding.ASCII.GetBytes("mnopqrstuvwxyz123456"));

    private readonly ManualTimeProvider _clock = new();
    private UdpDatagramSocket _socket = null!;
    private MainlineDht _dht = null!;

    public Task InitializeAsync()
    {
        _socket = UdpDatagramSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _dht = MainlineDht.Create(_socket, new MainlineDhtOptions { AllowLan = true }, _clock, SecureRandomSource.Instance);
        _dht.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _dht.DisposeAsync();
        _socket.Dispose();
    }

    [Fact]
    public void The_codec_round_trips_ip_in_every_kind_of_message_and_ignores_other_shapes()
    {
        var v4 = IPEndPoint.Parse("11.77.0.2:6881");
        var v6 = IPEndPoint.Parse("[2a00:1450::5]:51413");
        var response = new KrpcResponse("aa"u8.ToArray(), Mno) { Ip = v4 };
        var error = new KrpcError("aa"u8.ToArray(), 203, "no") { Ip = v6 };

        Assert.Equal(v4, KrpcCodec.Decode(KrpcCodec.Encode(response)).Ip);
        Assert.Equal(v6, KrpcCodec.Decode(KrpcCodec.Encode(error)).Ip);
        Assert.Equal(
            "d2:ip6:\u000bM\u0000\u0002\u001a\u00e11:rd2:id20:mnopqrstuvwxyz123456e1:t2:aa1:y1:re",
            Encoding.Latin1.GetString(KrpcCodec.Encode(response)));

        // Not 6 or 18 bytes, or not a byte string: the message is still read, without an ip.
        foreach (var ip in new[] { "5:abcde", "0:", "i7e", "le" })
        {
            var datagram = Encoding.Latin1.GetBytes($"d2:ip{ip}1:rd2:id20:mnopqrstuvwxyz123456e1:t2:aa1:y1:re");
            Assert.Null(Assert.IsType<KrpcResponse>(KrpcCodec.Decode(datagram)).Ip);
        }
    }

    [Fact]
    public async Task Our_answers_tell_the_requester_where_we_saw_it()
    {
        using var client = new RawKrpcClient();
        var answer = Assert.IsType<KrpcResponse>(await client.AskAsync(KrpcQuery.Ping(client.NextTransactionId(), client.Id), _dht.LocalEndPoint));
        Assert.Equal(client.LocalEndPoint, answer.Ip);

        await client.SendAsync(Encoding.ASCII.GetBytes("d1:ad2:id3:abce1:q4:ping1:t2:zz1:y1:qe"), _dht.LocalEndPoint);
        var error = Assert.IsType<KrpcError>(await client.ReceiveAsync());
        Assert.Equal(client.LocalEndPoint, error.Ip);
    }

    [Fact]
    public async Task Only_an_answer_to_our_own_query_reports_an_external_address()
    {
        var reports = new List<(IPEndPoint Seen, IPEndPoint By)>();
        var reported = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _dht.Endpoint.ExternalAddressReported += (seen, by) =>
        {
            lock (reports)
            {
                reports.Add((seen, by));
            }

            reported.TrySetResult();
        };
        using var client = new RawKrpcClient();

        // Unasked: a response no query of ours waits for, claiming some address.
        await client.SendAsync(new KrpcResponse(client.NextTransactionId(), client.Id) { Ip = IPEndPoint.Parse("12.34.56.78:1") }, _dht.LocalEndPoint);

        // Asked: our ping, answered with the address the client saw.
        var ping = _dht.Endpoint.PingAsync(client.LocalEndPoint, CancellationToken.None);
        var query = Assert.IsType<KrpcQuery>(await client.ReceiveAsync().WaitAsync(Limit));
        await client.SendAsync(new KrpcResponse(query.TransactionId, client.Id) { Ip = IPEndPoint.Parse("11.77.0.2:6881") }, _dht.LocalEndPoint);
        Assert.Equal(client.Id, await ping.WaitAsync(Limit));
        await reported.Task.WaitAsync(Limit);

        lock (reports)
        {
            Assert.Equal([(IPEndPoint.Parse("11.77.0.2:6881"), client.LocalEndPoint)], reports);
        }
    }
}
