using System.Buffers;
using System.Net;
using SmartShare.BitTorrent.Engine;
using SmartShare.BitTorrent.Metainfo;
using SmartShare.BitTorrent.PeerWire;

namespace SmartShare.BitTorrent.Tests.Engine;

/// <summary>BEP 10's <c>yourip</c>: every extension handshake we send names the peer's address, and the one a peer sends us reaches the node.</summary>
public sealed class YourIpTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_session_tells_a_peer_its_address_and_reports_the_address_the_peer_saw_us_at()
    {
        await using var kit = new EngineTestKit();
        var (torrent, folder) = await SmallTorrentAsync(kit);
        var reports = new List<(IPAddress Seen, IPAddress By)>();
        var seeder = kit.Client(o => o.OnExternalAddress = (seen, by) => Add(reports, (seen, by)));
        await kit.SeedAsync(seeder, torrent, folder);

        await using var raw = await RawPeer.ConnectAsync(seeder.LocalEndPoint, torrent.InfoHash, PeerCapabilities.ExtensionProtocol);
        var ours = new ExtensionHandshake(new Dictionary<string, byte> { ["ut_metadata"] = 5 }, null, null, null, null, IPAddress.Parse("11.77.0.2"));
        await raw.SendAsync(RawPeer.Extended(0, ours.Encode()));
        var theirs = await ReadExtensionHandshakeAsync(raw);

        Assert.Equal(IPAddress.Loopback, theirs.YourIp);
        await EngineTestKit.WaitAsync(() => Count(reports) > 0, Limit, "the peer's yourip to reach OnExternalAddress");
        Assert.Equal([(IPAddress.Parse("11.77.0.2"), IPAddress.Loopback)], Snapshot(reports));
    }

    [Fact]
    public async Task A_metadata_fetch_reports_the_yourip_of_the_seeding_session()
    {
        await using var kit = new EngineTestKit();
        var (torrent, folder) = await SmallTorrentAsync(kit);
        var seen = new List<(IPAddress Seen, IPAddress By)>();
        var fetched = new List<(IPAddress Seen, IPAddress By)>();
        var seeder = kit.Client(o => o.OnExternalAddress = (address, by) => Add(seen, (address, by)));
        await kit.SeedAsync(seeder, torrent, folder);

        await using var fetcher = new MetadataFetcher(torrent.InfoHash, PeerId.Generate(SecureRandomSource.Instance), 0)
        {
            OnExternalAddress = (address, by) => Add(fetched, (address, by)),
        };
        fetcher.AddPeers([seeder.LocalEndPoint]);
        using var timeout = new CancellationTokenSource(Limit);
        await fetcher.FetchAsync(timeout.Token);

        // Both ends told each other the address they saw: loopback here (the node's vote refuses such a claim).
        await EngineTestKit.WaitAsync(() => Count(seen) > 0 && Count(fetched) > 0, Limit, "both handshakes' yourip to be reported");
        Assert.Equal([(IPAddress.Loopback, IPAddress.Loopback)], Snapshot(fetched));
        Assert.Equal([(IPAddress.Loopback, IPAddress.Loopback)], Snapshot(seen));
    }

    private static void Add(List<(IPAddress, IPAddress)> list, (IPAddress, IPAddress) item)
    {
        lock (list)
        {
            list.Add(item);
        }
    }

    private static int Count(List<(IPAddress, IPAddress)> list)
    {
        lock (list)
        {
            return list.Count;
        }
    }

    private static List<(IPAddress, IPAddress)> Snapshot(List<(IPAddress, IPAddress)> list)
    {
        lock (list)
        {
            return [.. list];
        }
    }

    private static async Task<(Torrent Torrent, string Folder)> SmallTorrentAsync(EngineTestKit kit)
    {
        var folder = kit.Folder("seed");
        var content = Path.Combine(folder, "content");
        Directory.CreateDirectory(content);
        await File.WriteAllBytesAsync(Path.Combine(content, "a.bin"), EngineTestKit.RandomBytes(40_000));
        var (_, torrent) = TorrentCreator.Create(content, pieceLength: 16 * 1024);
        return (torrent, folder);
    }

    private static async Task<ExtensionHandshake> ReadExtensionHandshakeAsync(RawPeer raw)
    {
        while (true)
        {
            var payload = await raw.ExpectAsync(PeerMessageType.Extended, Limit);
            if (payload[0] == 0)
            {
                return ExtensionHandshake.Decode(new ReadOnlySequence<byte>(payload, 1, payload.Length - 1));
            }
        }
    }
}
