using SmartShare.Interop.Tests.Clients;

namespace SmartShare.Interop.Tests.Ours;

/// <summary>Our node shares a file as a torrent; libtorrent is handed our node's BitTorrent address and downloads it.</summary>
public sealed class SeedToLibtorrentTests : IDisposable
{
    private readonly InteropDirectory _directory = new();

    /// <param name="encryption">libtorrent's "enabled" (plaintext or MSE, its default) or "forced" (MSE only: our node must accept an MSE handshake).</param>
    [Theory]
    [InlineData("enabled")]
    [InlineData("forced")]
    public async Task Libtorrent_downloads_a_file_our_node_shares_when_given_its_address(string encryption)
    {
        // The torrent names the tracker, but the tracker does not serve this hash (not whitelisted): the
        // address handed to libtorrent is the only way to our node.
        await using var tracker = await OpenTracker.StartAsync();
        await using var node = await OurNode.StartAsync(_directory.Folder("ours"));
        var source = TestFiles.WriteRandom(Path.Combine(_directory.Folder("share"), "shared.bin"), (4 << 20) + 777);
        var torrent = _directory.File("shared.torrent");
        var shared = await node.ShareTorrentAsync(source, torrent, [tracker.AnnounceUrl]);
        var infoHash = shared["info_hash"]!.GetValue<string>();
        Assert.Equal(MkTorrent.InfoHashOf(torrent).ToString(), infoHash);
        await node.WaitForSeedingAsync(infoHash, TimeSpan.FromSeconds(15));

        var downloads = _directory.Folder("libtorrent");
        await using var downloader = await LibtorrentPeer.StartListeningAsync(new LibtorrentOptions { TorrentPath = torrent, SavePath = downloads, Encryption = encryption });
        downloader.ConnectPeer(node.BitTorrentEndPoint);
        await Waiting.UntilAsync(
            async () => (await node.TorrentAsync(infoHash))["peers"]?.GetValue<int>() >= 1 || downloader.Progress?.Done == downloader.Progress?.Total && downloader.Progress is { Total: > 0 },
            $"our node completes a BitTorrent handshake with libtorrent (encryption {encryption}) from {downloader.Endpoint}",
            TimeSpan.FromSeconds(15),
            () => node.Describe() + "\n" + downloader.Describe());
        try
        {
            await downloader.WaitForFinishedAsync(TimeSpan.FromSeconds(30));
        }
        catch (Exception ex) when (ex is Xunit.Sdk.XunitException)
        {
            Assert.Fail(ex.Message + "\n" + node.Describe());
        }

        TestFiles.AssertSameFile(source, Path.Combine(downloads, "shared.bin"));
        Assert.Equal(infoHash, downloader.InfoHash);
    }

    public void Dispose() => _directory.Dispose();
}
