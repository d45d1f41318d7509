using SmartShare.Interop.Tests.Clients;

namespace SmartShare.Interop.Tests.Ours;

/// <summary>
/// Our node shares a file as a torrent; Transmission (which never dials 127.x peers, facts point 1) downloads it
/// once our node, asked by a second <c>get</c> of the same .torrent with Transmission's address, dials it.
/// </summary>
public sealed class SeedToTransmissionTests : IDisposable
{
    private readonly InteropDirectory _directory = new();

    /// <param name="encryption">Transmission's "-ep" (prefers MSE, its default) or "-er" (MSE required: our node must dial with MSE).</param>
    [Theory]
    [InlineData("-ep")]
    [InlineData("-er")]
    public async Task Transmission_downloads_a_file_our_node_shares_when_our_node_dials_it(string encryption)
    {
        await using var node = await OurNode.StartAsync(_directory.Folder("ours"));
        var source = TestFiles.WriteRandom(Path.Combine(_directory.Folder("share"), "shared.bin"), (3 << 20) + 4_321);
        var torrent = _directory.File("shared.torrent");
        var shared = await node.ShareTorrentAsync(source, torrent);
        var infoHash = shared["info_hash"]!.GetValue<string>();
        await node.WaitForSeedingAsync(infoHash, TimeSpan.FromSeconds(15));

        var downloads = _directory.Folder("transmission");
        await using var transmission = await Transmission.StartAsync(torrent, downloads, LoopbackAddresses.Next(), encryption);

        // The torrent is already seeding: get adds the peer to it (and does not start a second download).
        var answer = await node.GetTorrentAsync(torrent, [transmission.Endpoint]);
        Assert.Equal(infoHash, answer["info_hash"]!.GetValue<string>());
        Assert.Equal("completed", answer["status"]!.GetValue<string>());
        Assert.Equal(source, answer["download_path"]!.GetValue<string>());

        // Transmission closes handshakes while it checks its files after starting: our node dials again (after 1 s,
        // then backing off). With "-er" Transmission accepts only MSE-encrypted handshakes.
        await Waiting.UntilAsync(
            async () => (await node.TorrentAsync(infoHash))["peers"]?.GetValue<int>() >= 1,
            $"our node completes a BitTorrent handshake with Transmission {encryption} at {transmission.Endpoint}",
            TimeSpan.FromSeconds(20),
            () => node.Describe() + "\n" + transmission.Describe());
        try
        {
            await transmission.WaitForFinishedAsync(TimeSpan.FromSeconds(40));
        }
        catch (Exception ex) when (ex is Xunit.Sdk.XunitException)
        {
            Assert.Fail(ex.Message + "\n" + node.Describe());
        }

        TestFiles.AssertSameFile(source, Path.Combine(downloads, "shared.bin"));
        Assert.Single((await node.CallAsync("file_list", new()))!["items"]!.AsArray(), item => item!["type"]?.GetValue<string>() == "torrent");
    }

    public void Dispose() => _directory.Dispose();
}
