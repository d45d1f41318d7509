using SmartShare.BitTorrent;
using SmartShare.BitTorrent.Engine;
using SmartShare.BitTorrent.Metainfo;
using SmartShare.BitTorrent.PeerWire;
using SmartShare.Interop.Tests.Clients;

namespace SmartShare.Interop.Tests.Ours;

/// <summary>Metadata exchange (BEP 9) both ways with libtorrent: it fetches our node's info dictionary from a magnet link, and our fetcher fetches its.</summary>
public sealed class MagnetMetadataTests : IDisposable
{
    private readonly InteropDirectory _directory = new();

    [Fact]
    public async Task Libtorrent_downloads_from_a_magnet_link_naming_only_our_node()
    {
        await using var node = await OurNode.StartAsync(_directory.Folder("ours"));
        var source = TestFiles.WriteRandom(Path.Combine(_directory.Folder("share"), "magnet.bin"), (1 << 20) + 4321);
        var torrent = _directory.File("magnet.torrent");
        var shared = await node.ShareTorrentAsync(source, torrent, []);
        var infoHash = shared["info_hash"]!.GetValue<string>();
        await node.WaitForSeedingAsync(infoHash, TimeSpan.FromSeconds(15));

        var magnet = MagnetLink.Build(InfoHash.Parse(infoHash), "magnet.bin", null);
        var downloads = _directory.Folder("libtorrent");
        await using var downloader = await LibtorrentPeer.StartListeningAsync(new LibtorrentOptions { Magnet = magnet, SavePath = downloads, Peers = [node.BitTorrentEndPoint] });
        try
        {
            await downloader.WaitForFinishedAsync(TimeSpan.FromSeconds(45));
        }
        catch (Exception ex) when (ex is Xunit.Sdk.XunitException)
        {
            Assert.Fail(ex.Message + "\n" + node.Describe() + "\n" + downloader.Describe());
        }

        TestFiles.AssertSameFile(source, Path.Combine(downloads, "magnet.bin"));
    }

    [Fact]
    public async Task Our_fetcher_gets_the_metadata_from_a_libtorrent_seed()
    {
        var seedFolder = _directory.Folder("seed");
        var source = TestFiles.WriteRandom(Path.Combine(seedFolder, "lt.bin"), (40 << 20) + 99);
        var torrentPath = await MkTorrent.CreateAsync(source, _directory.File("lt.torrent"), pieceLengthLog2: 15);
        var torrent = TorrentParser.Parse(await File.ReadAllBytesAsync(torrentPath));
        await using var seeder = await LibtorrentPeer.StartListeningAsync(new LibtorrentOptions { Seed = true, TorrentPath = torrentPath, SavePath = seedFolder });
        await seeder.WaitForFinishedAsync(TimeSpan.FromSeconds(15));

        var log = new List<string>();
        await using var fetcher = new MetadataFetcher(torrent.InfoHash, PeerId.Generate(SecureRandomSource.Instance), 0, null, line =>
        {
            lock (log)
            {
                log.Add(line);
            }
        });
        fetcher.AddPeers([seeder.Endpoint]);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        byte[] info;
        try
        {
            info = await fetcher.FetchAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            lock (log)
            {
                Assert.Fail("no metadata within 30 s:\n" + string.Join("\n", log) + "\n" + seeder.Describe());
            }

            throw;
        }

        Assert.True(info.Length > MetadataMessage.BlockSize, "a 40 MiB torrent in 32 KiB pieces has metadata of several pieces");
        Assert.Equal(torrent.RawInfo.ToArray(), info);
    }

    public void Dispose() => _directory.Dispose();
}
