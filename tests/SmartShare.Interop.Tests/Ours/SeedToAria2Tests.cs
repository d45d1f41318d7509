using SmartShare.BitTorrent;
using SmartShare.BitTorrent.Metainfo;
using SmartShare.Interop.Tests.Clients;

namespace SmartShare.Interop.Tests.Ours;

/// <summary>Our node shares a file as a torrent and announces it to opentracker; aria2c finds it there and downloads it.</summary>
public sealed class SeedToAria2Tests : IDisposable
{
    private readonly InteropDirectory _directory = new();

    [Fact]
    public async Task Aria2_downloads_a_file_our_node_shares_through_opentracker()
    {
        await using var tracker = await OpenTracker.StartAsync();
        await using var node = await OurNode.StartAsync(_directory.Folder("ours"));
        var source = TestFiles.WriteRandom(Path.Combine(_directory.Folder("share"), "shared.bin"), (3 << 20) + 54_321);
        var torrent = _directory.File("shared.torrent");

        // opentracker serves whitelisted hashes only: whitelist the hash before our node announces it (the info
        // dictionary, and so the hash, does not depend on the announce URL; our node makes it the same way).
        var infoHash = TorrentCreator.Create(source).Torrent.InfoHash;
        await tracker.AllowAsync(infoHash);
        var shared = await node.ShareTorrentAsync(source, torrent, [tracker.AnnounceUrl]);
        Assert.Equal(infoHash.ToString(), shared["info_hash"]!.GetValue<string>());
        Assert.Equal(infoHash, MkTorrent.InfoHashOf(torrent));
        await node.WaitForSeedingAsync(infoHash.ToString(), TimeSpan.FromSeconds(15));
        await WaitForAnnounceAsync(node, tracker, infoHash);

        var downloads = _directory.Folder("aria2");
        await using var aria2 = Aria2.Start(torrent, downloads);
        try
        {
            await aria2.WaitForSuccessAsync(TimeSpan.FromSeconds(40));
        }
        catch (Exception ex) when (ex is Xunit.Sdk.XunitException)
        {
            Assert.Fail(ex.Message + "\n" + node.Describe());
        }

        TestFiles.AssertSameFile(source, Path.Combine(downloads, "shared.bin"));
    }

    // Our node announces "started" with left=0 once it seeds: opentracker lists it as a seeder.
    private static async Task WaitForAnnounceAsync(OurNode node, OpenTracker tracker, InfoHash infoHash)
    {
        try
        {
            await tracker.WaitForSeedersAsync(infoHash, 1, TimeSpan.FromSeconds(30));
        }
        catch (Exception ex) when (ex is Xunit.Sdk.XunitException)
        {
            Assert.Fail(ex.Message + "\n" + (await node.TorrentAsync(infoHash.ToString())).ToJsonString() + "\n" + node.Describe());
        }
    }

    public void Dispose() => _directory.Dispose();
}
