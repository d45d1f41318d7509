using SmartShare.BitTorrent.Engine;
using SmartShare.BitTorrent.Metainfo;
using SmartShare.BitTorrent.PeerWire;
using SmartShare.BitTorrent.Tests.Engine;

namespace SmartShare.BitTorrent.Tests.PeerWire.Encryption;

/// <summary>Two of our clients with each torrent's encryption mode set through its session options.</summary>
public sealed class EncryptedSwarmTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData(EncryptionMode.Require, EncryptionMode.Require)]
    [InlineData(EncryptionMode.Prefer, EncryptionMode.Disable)]
    [InlineData(EncryptionMode.Disable, EncryptionMode.Prefer)]
    public async Task A_leecher_downloads_from_a_seeder_whose_mode_agrees(EncryptionMode leecherMode, EncryptionMode seederMode)
    {
        await using var kit = new EngineTestKit();
        var (torrent, content, source) = await MakeTorrentAsync(kit);
        var seeder = kit.Client(options => options.Connection = new PeerConnectionOptions { Encryption = seederMode });
        await kit.SeedAsync(seeder, torrent, source);
        var leecher = kit.Client(options => options.Connection = new PeerConnectionOptions { Encryption = leecherMode });
        var downloads = kit.Folder("downloads");
        var session = leecher.Add(torrent, kit.Storage(torrent, downloads), resume: null);
        await session.StartAsync(CancellationToken.None);
        session.AddPeers([seeder.LocalEndPoint]);

        await session.Completed.WaitAsync(Limit);
        Assert.Equal(content, await File.ReadAllBytesAsync(Path.Combine(downloads, "movie.bin")));
        if (leecherMode == EncryptionMode.Prefer && seederMode == EncryptionMode.Disable)
        {
            // The MSE attempt was refused by the seeder's listener before the plain handshake that got through.
            Assert.Contains(Lines(kit), line => line.Contains("failed its handshake", StringComparison.Ordinal) && line.Contains("MSE", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task A_leecher_requiring_encryption_never_connects_to_a_seeder_that_disables_it()
    {
        await using var kit = new EngineTestKit();
        var (torrent, _, source) = await MakeTorrentAsync(kit);
        var seeder = kit.Client(options => options.Connection = new PeerConnectionOptions { Encryption = EncryptionMode.Disable });
        var seeding = await kit.SeedAsync(seeder, torrent, source);
        var leecher = kit.Client(options => options.Connection = new PeerConnectionOptions { Encryption = EncryptionMode.Require });
        var session = leecher.Add(torrent, kit.Storage(torrent, kit.Folder("downloads")), resume: null);
        await session.StartAsync(CancellationToken.None);
        session.AddPeers([seeder.LocalEndPoint]);

        await EngineTestKit.WaitAsync(
            () => Lines(kit).Any(line => line.Contains("could not connect", StringComparison.Ordinal) && line.Contains("MSE", StringComparison.Ordinal))
                && Lines(kit).Any(line => line.Contains("failed its handshake", StringComparison.Ordinal)),
            Limit,
            "the leecher's MSE dial to be refused");
        Assert.Empty(session.ConnectedPeers);
        Assert.Empty(seeding.ConnectedPeers);
        Assert.Equal(0, session.Progress.Downloaded);
    }

    [Fact]
    public async Task A_seeder_requiring_encryption_drops_a_leecher_that_disables_it()
    {
        await using var kit = new EngineTestKit();
        var (torrent, _, source) = await MakeTorrentAsync(kit);
        var seeder = kit.Client(options => options.Connection = new PeerConnectionOptions { Encryption = EncryptionMode.Require });
        var seeding = await kit.SeedAsync(seeder, torrent, source);
        var leecher = kit.Client(options => options.Connection = new PeerConnectionOptions { Encryption = EncryptionMode.Disable });
        var session = leecher.Add(torrent, kit.Storage(torrent, kit.Folder("downloads")), resume: null);
        await session.StartAsync(CancellationToken.None);
        session.AddPeers([seeder.LocalEndPoint]);

        await EngineTestKit.WaitAsync(
            () => Lines(kit).Any(line => line.Contains("dropped: a plain handshake", StringComparison.Ordinal))
                && Lines(kit).Any(line => line.Contains("could not connect", StringComparison.Ordinal)),
            Limit,
            "the seeder to drop the leecher's plain handshake");
        Assert.Empty(session.ConnectedPeers);
        Assert.Empty(seeding.ConnectedPeers);
        Assert.Equal(0, session.Progress.Downloaded);
    }

    private static async Task<(Torrent Torrent, byte[] Content, string Source)> MakeTorrentAsync(EngineTestKit kit)
    {
        var source = kit.Folder("seed");
        var content = EngineTestKit.RandomBytes((3 * 1024 * 1024) + 4321);
        await File.WriteAllBytesAsync(Path.Combine(source, "movie.bin"), content);
        var (_, torrent) = TorrentCreator.Create(Path.Combine(source, "movie.bin"), pieceLength: 256 * 1024);
        return (torrent, content, source);
    }

    private static string[] Lines(EngineTestKit kit)
    {
        lock (kit.Log)
        {
            return [.. kit.Log];
        }
    }
}
