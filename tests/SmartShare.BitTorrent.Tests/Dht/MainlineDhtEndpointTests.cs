using System.Net;
using System.Text;
using SmartShare.BitTorrent.Dht;
using SmartShare.Networking;
using SmartShare.Testing;

namespace SmartShare.BitTorrent.Tests.Dht;

/// <summary>Our node's answers to hand-made queries over real loopback UDP, on a clock that moves only when told.</summary>
public sealed class MainlineDhtEndpointTests : IAsyncLifetime
{
    private static readonly InfoHash Hash = InfoHash.FromBytes(Encoding.ASCII.GetBytes("mnopqrstuvwxyz123456"));

    private readonly ManualTimeProvider _clock = new();
    private UdpDatagramSocket _socket = null!;
    private MainlineDht _dht = null!;

    private IPEndPoint Node => _dht.LocalEndPoint;

    public Task InitializeAsync() => StartAsync(new MainlineDhtOptions { AllowLan = true });

    public async Task DisposeAsync()
    {
        await _dht.DisposeAsync();
        _socket.Dispose();
    }

    [Fact]
    public async Task A_ping_is_answered_with_our_id_and_the_requester_joins_the_table()
    {
        using var client = new RawKrpcClient();
        var answer = Assert.IsType<KrpcResponse>(await client.AskAsync(KrpcQuery.Ping(client.NextTransactionId(), client.Id), Node));

        Assert.Equal(_dht.Id, answer.Id);
        Assert.Equal(1, _dht.NodeCount);
        Assert.Equal(client.LocalEndPoint, _dht.Engine.RoutingTable.FindById(client.Id)?.EndPoint);

        // It has not answered us yet, so it is not worth saving for the next run.
        Assert.Empty(_dht.ExportContacts());
    }

    [Fact]
    public async Task A_read_only_requester_is_answered_but_not_added()
    {
        using var client = new RawKrpcClient();
        var query = KrpcQuery.Ping(client.NextTransactionId(), client.Id) with { ReadOnly = true };

        Assert.IsType<KrpcResponse>(await client.AskAsync(query, Node));
        Assert.Equal(0, _dht.NodeCount);
    }

    [Fact]
    public async Task A_query_with_a_bad_id_gets_error_203()
    {
        using var client = new RawKrpcClient();
        await client.SendAsync(Encoding.ASCII.GetBytes("d1:ad2:id19:abcdefghij012345678e1:q4:ping1:t2:zz1:y1:qe"), Node);

        var error = Assert.IsType<KrpcError>(await client.ReceiveAsync());
        Assert.Equal(KrpcErrorCode.Protocol, error.Code);
        Assert.Equal("zz"u8.ToArray(), error.TransactionId.ToArray());
        Assert.Equal(0, _dht.NodeCount);
    }

    [Fact]
    public async Task An_unknown_method_gets_error_204()
    {
        using var client = new RawKrpcClient();
        var query = new KrpcQuery(client.NextTransactionId(), KrpcMethod.Unknown, client.Id) { MethodName = "vote" };

        var error = Assert.IsType<KrpcError>(await client.AskAsync(query, Node));
        Assert.Equal(KrpcErrorCode.MethodUnknown, error.Code);
    }

    [Fact]
    public async Task Announce_with_implied_port_stores_the_udp_source_port_and_get_peers_returns_it()
    {
        using var client = new RawKrpcClient();
        var first = await client.GetPeersAsync(Hash, Node);
        Assert.Empty(first.Values);
        Assert.Equal(8, first.Token.Length);

        var announce = KrpcQuery.AnnouncePeer(client.NextTransactionId(), client.Id, Hash, 1234, impliedPort: true, first.Token);
        Assert.IsType<KrpcResponse>(await client.AskAsync(announce, Node));

        var again = await client.GetPeersAsync(Hash, Node);
        Assert.Equal([client.LocalEndPoint], again.Values);
    }

    [Fact]
    public async Task Announce_with_an_explicit_port_stores_that_port()
    {
        using var client = new RawKrpcClient();
        var token = (await client.GetPeersAsync(Hash, Node)).Token;
        await client.AskAsync(KrpcQuery.AnnouncePeer(client.NextTransactionId(), client.Id, Hash, 6881, impliedPort: false, token), Node);

        using var asker = new RawKrpcClient("127.0.0.3");
        Assert.Equal([new IPEndPoint(IPAddress.Loopback, 6881)], (await asker.GetPeersAsync(Hash, Node)).Values);
    }

    [Fact]
    public async Task A_wrong_token_gets_203_and_stores_nothing()
    {
        using var client = new RawKrpcClient();
        var announce = KrpcQuery.AnnouncePeer(client.NextTransactionId(), client.Id, Hash, 6881, impliedPort: false, "12345678"u8.ToArray());

        var error = Assert.IsType<KrpcError>(await client.AskAsync(announce, Node));
        Assert.Equal(KrpcErrorCode.Protocol, error.Code);
        Assert.Empty(_dht.Engine.PeerStore.GetPeers(Kademlia.NodeId.FromBytes(Hash.ToArray())));
    }

    [Fact]
    public async Task Tokens_of_the_current_and_previous_secret_work_older_ones_and_other_ips_do_not()
    {
        using var client = new RawKrpcClient();
        using var other = new RawKrpcClient("127.0.0.2");
        var token = (await client.GetPeersAsync(Hash, Node)).Token;

        // Another IP may not use it.
        var stolen = await other.AskAsync(KrpcQuery.AnnouncePeer(other.NextTransactionId(), other.Id, Hash, 1, impliedPort: false, token), Node);
        Assert.Equal(KrpcErrorCode.Protocol, Assert.IsType<KrpcError>(stolen).Code);

        // One rotation (5 minutes on the timer): still good.
        _clock.Advance(TimeSpan.FromMinutes(5));
        var afterOne = await client.AskAsync(KrpcQuery.AnnouncePeer(client.NextTransactionId(), client.Id, Hash, 1, impliedPort: false, token), Node);
        Assert.IsType<KrpcResponse>(afterOne);

        // Two rotations: refused.
        _clock.Advance(TimeSpan.FromMinutes(5));
        var afterTwo = await client.AskAsync(KrpcQuery.AnnouncePeer(client.NextTransactionId(), client.Id, Hash, 2, impliedPort: false, token), Node);
        Assert.Equal(KrpcErrorCode.Protocol, Assert.IsType<KrpcError>(afterTwo).Code);
    }

    [Fact]
    public async Task Get_peers_answers_at_most_50_values()
    {
        using var client = new RawKrpcClient();
        var token = (await client.GetPeersAsync(Hash, Node)).Token;
        for (var port = 1; port <= 60; port++)
        {
            Assert.IsType<KrpcResponse>(await client.AskAsync(
                KrpcQuery.AnnouncePeer(client.NextTransactionId(), client.Id, Hash, port, impliedPort: false, token), Node));
        }

        var answer = await client.GetPeersAsync(Hash, Node);
        Assert.Equal(50, answer.Values.Count);
        Assert.Equal(50, answer.Values.Distinct().Count());
    }

    [Fact]
    public async Task Queries_over_the_per_ip_rate_are_dropped_until_time_passes()
    {
        await DisposeAsync();
        await StartAsync(new MainlineDhtOptions { AllowLan = true, MaxIncomingQueriesPerSecondPerIp = 1, QueryBurstPerIp = 3 });
        using var client = new RawKrpcClient();
        for (var i = 0; i < 5; i++)
        {
            await client.SendAsync(KrpcQuery.Ping(client.NextTransactionId(), client.Id), Node);
        }

        await DhtWaiting.UntilAsync(() => _dht.Endpoint.RateLimited == 2, "two of five pings are dropped");
        for (var i = 0; i < 3; i++)
        {
            Assert.IsType<KrpcResponse>(await client.ReceiveAsync());
        }

        Assert.Equal(0, client.Available);

        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.IsType<KrpcResponse>(await client.AskAsync(KrpcQuery.Ping(client.NextTransactionId(), client.Id), Node));
    }

    [Fact]
    public async Task Without_allow_lan_loopback_queries_are_ignored()
    {
        await DisposeAsync();
        await StartAsync(new MainlineDhtOptions { AllowLan = false });
        using var client = new RawKrpcClient();
        await client.SendAsync(KrpcQuery.Ping(client.NextTransactionId(), client.Id), Node);

        await DhtWaiting.UntilAsync(() => _dht.Endpoint.RefusedSources == 1, "the loopback ping is refused");
        Assert.Equal(0, _dht.NodeCount);
        Assert.Null(await _dht.Engine.PingAsync(client.LocalEndPoint, CancellationToken.None));
    }

    private Task StartAsync(MainlineDhtOptions options)
    {
        _socket = UdpDatagramSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _dht = MainlineDht.Create(_socket, options, _clock, SecureRandomSource.Instance);
        _dht.Start();
        return Task.CompletedTask;
    }
}
