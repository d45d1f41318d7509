using System.Text.Json.Nodes;
using SmartShare.Interop.Tests.Clients;
using SmartShare.Node.Settings;

namespace SmartShare.Interop.Tests.Ours;

/// <summary>
/// Our node over uTP (BEP 29) with the two other uTP stacks there are: libtorrent 2.0 with its TCP switched off both
/// ways, and Transmission's libutp, which our node reaches with its own TCP switched off (bt_transport utp), so
/// every byte crosses uTP. Files are compared byte for byte and the peer is listed with transport "utp".
/// </summary>
public sealed class UtpNodeInteropTests : IDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);
    private readonly InteropDirectory _directory = new();

    [Fact]
    public async Task Our_node_downloads_from_a_libtorrent_seeder_that_speaks_only_utp()
    {
        var seedFolder = _directory.Folder("seed");
        var content = TestFiles.WriteRandom(Path.Combine(seedFolder, "data.bin"), (12 << 20) + 4_321);
        var torrent = await MkTorrent.CreateAsync(content, _directory.File("data.torrent"), pieceLengthLog2: 18);
        await using var seeder = await LibtorrentPeer.StartListeningAsync(new LibtorrentOptions
        {
            Seed = true,
            TorrentPath = torrent,
            SavePath = seedFolder,
            Transport = "utp",
        });
        await seeder.WaitForFinishedAsync(TimeSpan.FromSeconds(30));

        // The default transport (both): uTP is dialled first, and libtorrent answers nothing else.
        await using var node = await OurNode.StartAsync(_directory.Folder("ours"));
        var infoHash = MkTorrent.InfoHashOf(torrent).ToString();
        await node.GetTorrentAsync(torrent, [seeder.Endpoint]);
        var transport = await PeerTransportWhileDownloadingAsync(node, infoHash);
        await node.WaitForCompletedAsync(infoHash, Limit, seeder.Describe);

        TestFiles.AssertSameFile(content, Path.Combine(node.Downloads, "data.bin"));
        Assert.Equal("utp", transport);
    }

    [Fact]
    public async Task A_libtorrent_downloader_that_speaks_only_utp_downloads_what_our_utp_only_node_shares()
    {
        await using var node = await OurNode.StartAsync(_directory.Folder("ours"), UtpOnly);
        var source = TestFiles.WriteRandom(Path.Combine(_directory.Folder("share"), "shared.bin"), (12 << 20) + 777);
        var torrent = _directory.File("shared.torrent");
        var infoHash = (await node.ShareTorrentAsync(source, torrent))["info_hash"]!.GetValue<string>();
        await node.WaitForSeedingAsync(infoHash, TimeSpan.FromSeconds(15));

        var downloads = _directory.Folder("libtorrent");
        await using var downloader = await LibtorrentPeer.StartListeningAsync(new LibtorrentOptions
        {
            TorrentPath = torrent,
            SavePath = downloads,
            Transport = "utp",
            Peers = [node.BitTorrentEndPoint],
        });
        await downloader.WaitForFinishedAsync(Limit);

        TestFiles.AssertSameFile(source, Path.Combine(downloads, "shared.bin"));
        var utp = (await node.CallAsync("status"))!["networks"]!["bittorrent"]!["utp"]!;
        Assert.Equal(0, utp["malformed"]!.GetValue<long>());
    }

    [Fact]
    public async Task Transmission_downloads_over_libutp_from_our_utp_only_node()
    {
        await using var node = await OurNode.StartAsync(_directory.Folder("ours"), UtpOnly);
        var source = TestFiles.WriteRandom(Path.Combine(_directory.Folder("share"), "shared.bin"), (3 << 20) + 4_321);
        var torrent = _directory.File("shared.torrent");
        var infoHash = (await node.ShareTorrentAsync(source, torrent))["info_hash"]!.GetValue<string>();
        await node.WaitForSeedingAsync(infoHash, TimeSpan.FromSeconds(15));

        // Transmission never dials 127.x peers (facts point 1): our node dials it, over uTP, the only way it has.
        var downloads = _directory.Folder("transmission");
        await using var transmission = await Transmission.StartAsync(torrent, downloads, LoopbackAddresses.Next(), utp: true);
        await node.GetTorrentAsync(torrent, [transmission.Endpoint]);
        var transport = await PeerTransportWhileDownloadingAsync(node, infoHash, transmission.Describe);
        await transmission.WaitForFinishedAsync(Limit);

        TestFiles.AssertSameFile(source, Path.Combine(downloads, "shared.bin"));
        Assert.Equal("utp", transport);
    }

    [Fact]
    public async Task Our_utp_only_node_downloads_from_a_transmission_seeder_over_libutp()
    {
        var seedFolder = _directory.Folder("seed");
        var content = TestFiles.WriteRandom(Path.Combine(seedFolder, "data.bin"), (3 << 20) + 999);
        var torrent = await MkTorrent.CreateAsync(content, _directory.File("data.torrent"), pieceLengthLog2: 16);
        await using var seeder = await Transmission.StartAsync(torrent, seedFolder, LoopbackAddresses.Next(), utp: true);

        await using var node = await OurNode.StartAsync(_directory.Folder("ours"), UtpOnly);
        var infoHash = MkTorrent.InfoHashOf(torrent).ToString();
        await node.GetTorrentAsync(torrent, [seeder.Endpoint]);
        var transport = await PeerTransportWhileDownloadingAsync(node, infoHash, seeder.Describe);
        await node.WaitForCompletedAsync(infoHash, Limit, seeder.Describe);

        TestFiles.AssertSameFile(content, Path.Combine(node.Downloads, "data.bin"));
        Assert.Equal("utp", transport);
    }

    public void Dispose() => _directory.Dispose();

    private static void UtpOnly(Dictionary<string, JsonNode?> flags) => flags[NodeSettingKeys.BtTransport] = "utp";

    // The transport of the first peer the node lists for the transfer (null if it completed before one was seen).
    private static async Task<string?> PeerTransportWhileDownloadingAsync(OurNode node, string infoHash, Func<string>? diagnostics = null)
    {
        string? transport = null;
        await Waiting.UntilAsync(
            async () =>
            {
                var peers = (await node.CallAsync("transfer_peers", new JsonObject { ["info_hash"] = infoHash }))!["peers"]!.AsArray();
                transport = peers.FirstOrDefault()?["transport"]?.GetValue<string>();
                return transport is not null;
            },
            $"our node lists a peer of {infoHash}",
            TimeSpan.FromSeconds(30),
            () => node.Describe() + "\n" + diagnostics?.Invoke());
        return transport;
    }
}
