using System.Net;
using System.Net.Sockets;
using SmartShare.BitTorrent.Metainfo;

namespace SmartShare.BitTorrent.Tests.Engine;

/// <summary>A client listening on IPv4 and, through <c>ListenAlso</c>, on IPv6 with the same port number.</summary>
public sealed class DualStackListenerTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_leecher_dialing_the_seeders_ipv6_listener_downloads_the_whole_torrent()
    {
        await using var kit = new EngineTestKit();
        var source = kit.Folder("seed");
        var content = EngineTestKit.RandomBytes((2 * 1024 * 1024) + 77);
        await File.WriteAllBytesAsync(Path.Combine(source, "v6.bin"), content);
        var (_, torrent) = TorrentCreator.Create(Path.Combine(source, "v6.bin"), pieceLength: 256 * 1024);
        var seeder = kit.Client();
        var ipv6 = seeder.ListenAlso(new IPEndPoint(IPAddress.IPv6Loopback, seeder.LocalEndPoint.Port));
        Assert.Equal([seeder.LocalEndPoint, ipv6], seeder.LocalEndPoints);
        await kit.SeedAsync(seeder, torrent, source);

        var leecher = kit.Client();
        var downloads = kit.Folder("downloads");
        var session = leecher.Add(torrent, kit.Storage(torrent, downloads), resume: null);
        await session.StartAsync(CancellationToken.None);
        session.AddPeers([ipv6]);
        await session.Completed.WaitAsync(Limit);

        Assert.Equal(content, await File.ReadAllBytesAsync(Path.Combine(downloads, "v6.bin")));
        Assert.All(session.ConnectedPeers, peer => Assert.Equal(AddressFamily.InterNetworkV6, peer.AddressFamily));
    }

    [Fact]
    public async Task The_ipv6_listener_takes_ipv6_only_and_closes_with_the_client()
    {
        await using var kit = new EngineTestKit();
        var client = kit.Client();

        // IPv6-only: the IPv4 port of the same number stays the first listener's, so :: binds next to it.
        var any6 = client.ListenAlso(new IPEndPoint(IPAddress.IPv6Any, client.LocalEndPoint.Port));
        await client.DisposeAsync();

        using var again = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp) { DualMode = false };
        again.Bind(any6);
        again.Listen();
    }
}
