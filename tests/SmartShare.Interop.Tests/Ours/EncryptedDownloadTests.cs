using SmartShare.BitTorrent.PeerWire;
using SmartShare.Interop.Tests.Clients;

namespace SmartShare.Interop.Tests.Ours;

/// <summary>
/// Our node downloads from a libtorrent seeder that requires MSE with RC4 both ways (out_enc_policy and
/// in_enc_policy forced, allowed_enc_level rc4): our node's MSE initiator against libtorrent's responder.
/// </summary>
public sealed class EncryptedDownloadTests : IDisposable
{
    private readonly InteropDirectory _directory = new();

    /// <param name="mode">Our node's mode for the torrent, set through <see cref="SmartShare.Node.Torrents.TorrentManager.ConfigureSessions"/>.</param>
    [Theory]
    [InlineData(EncryptionMode.Prefer)]
    [InlineData(EncryptionMode.Require)]
    public async Task Our_node_downloads_from_a_libtorrent_seeder_that_requires_rc4(EncryptionMode mode)
    {
        var seedFolder = _directory.Folder("seed");
        var source = TestFiles.WriteRandom(Path.Combine(seedFolder, "secret.bin"), (4 << 20) + 999);
        var torrent = await MkTorrent.CreateAsync(source, _directory.File("secret.torrent"), pieceLengthLog2: 16);
        var infoHash = MkTorrent.InfoHashOf(torrent).ToString();
        await using var seeder = await LibtorrentPeer.StartListeningAsync(new LibtorrentOptions { Seed = true, TorrentPath = torrent, SavePath = seedFolder, Encryption = "rc4" });
        await seeder.WaitForFinishedAsync(TimeSpan.FromSeconds(15));

        await using var node = await OurNode.StartAsync(_directory.Folder("ours"));
        node.Torrents.ConfigureSessions = options =>
        {
            options.RedialDelay = TimeSpan.FromSeconds(1);
            options.Connection = options.Connection.WithEncryption(mode);
        };
        var answer = await node.GetTorrentAsync(torrent, [seeder.Endpoint]);
        Assert.Equal(infoHash, answer["info_hash"]!.GetValue<string>());

        var done = await node.WaitForCompletedAsync(infoHash, TimeSpan.FromSeconds(40), seeder.Describe);
        TestFiles.AssertSameFile(source, done["download_path"]!.GetValue<string>());
    }

    public void Dispose() => _directory.Dispose();
}
