using System.Net;
using SmartShare.BitTorrent;
using SmartShare.BitTorrent.Dht;
using SmartShare.BitTorrent.Engine;
using SmartShare.BitTorrent.PeerWire;
using SmartShare.Interop.Tests.Clients;
using SmartShare.Networking;

namespace SmartShare.Interop.Tests.Ours;

/// <summary>
/// Where libtorrent tells us our own address (issue 21): the BEP 42 <c>ip</c> of its DHT answers reaches
/// <see cref="MainlineDhtEndpoint.ExternalAddressReported"/>, and the <c>yourip</c> of its extension handshake reaches
/// <see cref="TorrentSessionOptions.OnExternalAddress"/>. On loopback the address is 127.0.0.x, which the node's vote
/// refuses; these pin the wire format against the real client.
/// </summary>
public sealed class ExternalAddressInteropTests : IDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    private readonly InteropDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task A_libtorrent_dht_answer_tells_our_dht_the_address_and_port_it_saw()
    {
        await using var libtorrent = await LibtorrentDhtNodes.StartAsync();
        using var socket = UdpDatagramSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        await using var ours = MainlineDht.Create(
            socket, new MainlineDhtOptions { AllowLan = true, RequestTimeout = TimeSpan.FromSeconds(5) }, TimeProvider.System, SecureRandomSource.Instance);
        var reported = new TaskCompletionSource<(IPEndPoint Seen, IPEndPoint By)>(TaskCreationOptions.RunContinuationsAsynchronously);
        ours.Endpoint.ExternalAddressReported += (seen, by) => reported.TrySetResult((seen, by));
        ours.Start();

        var id = await ours.Endpoint.PingAsync(libtorrent.Endpoint, CancellationToken.None).WaitAsync(Limit);
        Assert.True(id is not null, $"libtorrent's DHT node did not answer our ping.\n{libtorrent.Describe()}");
        var (seenAt, by) = await reported.Task.WaitAsync(Limit);

        Assert.Equal(ours.LocalEndPoint, seenAt);
        Assert.Equal(libtorrent.Endpoint, by);
    }

    [Fact]
    public async Task A_libtorrent_peers_extension_handshake_tells_us_the_address_it_sees()
    {
        var seedFolder = _directory.Folder("seed");
        var source = TestFiles.WriteRandom(Path.Combine(seedFolder, "yourip.bin"), 70_000);
        var torrent = await MkTorrent.CreateAsync(source, _directory.File("yourip.torrent"), pieceLengthLog2: 15);
        await using var seeder = await LibtorrentPeer.StartListeningAsync(new LibtorrentOptions { Seed = true, TorrentPath = torrent, SavePath = seedFolder });
        await seeder.WaitForFinishedAsync(Limit);

        var reported = new TaskCompletionSource<(IPAddress Seen, IPAddress By)>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var fetcher = new MetadataFetcher(MkTorrent.InfoHashOf(torrent), PeerId.Generate(SecureRandomSource.Instance), 0)
        {
            OnExternalAddress = (seen, by) => reported.TrySetResult((seen, by)),
        };
        fetcher.AddPeers([seeder.Endpoint]);
        using var limit = new CancellationTokenSource(Limit);
        await fetcher.FetchAsync(limit.Token);
        var (seenAt, by) = await reported.Task.WaitAsync(Limit);

        Assert.True(IPAddress.IsLoopback(seenAt), $"libtorrent's yourip was {seenAt}, not a loopback address");
        Assert.Equal(seeder.Endpoint.Address, by);
    }
}
