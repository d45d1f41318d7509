using SmartShare.BitTorrent.Engine;
using SmartShare.BitTorrent.Metainfo;
using SmartShare.BitTorrent.Storage;

namespace SmartShare.BitTorrent.Tests.Engine;

public sealed class SwarmTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_leecher_downloads_a_single_file_torrent_from_a_seeder()
    {
        await using var kit = new EngineTestKit();
        var source = kit.Folder("seed");
        var content = EngineTestKit.RandomBytes((5 * 1024 * 1024) + 12345);
        await File.WriteAllBytesAsync(Path.Combine(source, "movie.bin"), content);
        var (_, torrent) = TorrentCreator.Create(Path.Combine(source, "movie.bin"), pieceLength: 256 * 1024);

        var seeder = kit.Client();
        await kit.SeedAsync(seeder, torrent, source);
        var leecher = kit.Client();
        var downloads = kit.Folder("downloads");
        var session = leecher.Add(torrent, kit.Storage(torrent, downloads), resume: null);
        await session.StartAsync(CancellationToken.None);
        session.AddPeers([seeder.LocalEndPoint]);

        await session.Completed.WaitAsync(Limit);
        Assert.Equal(TorrentState.Seeding, session.State);
        Assert.Equal(content, await File.ReadAllBytesAsync(Path.Combine(downloads, "movie.bin")));
        Assert.Equal(torrent.Info.TotalLength, session.Progress.VerifiedBytes);
    }

    [Fact]
    public async Task A_multi_file_torrent_arrives_whole_from_two_seeders_and_resume_skips_verified_pieces()
    {
        await using var kit = new EngineTestKit();
        var source = kit.Folder("seed");
        var album = Directory.CreateDirectory(Path.Combine(source, "album", "disc 1")).FullName;
        await File.WriteAllBytesAsync(Path.Combine(album, "a.flac"), EngineTestKit.RandomBytes(700_001));
        await File.WriteAllBytesAsync(Path.Combine(album, "b.flac"), EngineTestKit.RandomBytes(3));
        await File.WriteAllBytesAsync(Path.Combine(source, "album", "cover.jpg"), EngineTestKit.RandomBytes(1_300_000));
        await File.WriteAllBytesAsync(Path.Combine(source, "album", "empty.txt"), []);
        var (_, torrent) = TorrentCreator.Create(Path.Combine(source, "album"), pieceLength: 64 * 1024);

        var seeders = new[] { kit.Client(), kit.Client() };
        foreach (var seeder in seeders)
        {
            await kit.SeedAsync(seeder, torrent, source);
        }

        var downloads = kit.Folder("downloads");
        var resume = ResumeStore.Open(Path.Combine(kit.Root, "resume.db"));
        var leecher = kit.Client();
        var session = leecher.Add(torrent, kit.Storage(torrent, downloads), resume);
        await session.StartAsync(CancellationToken.None);
        session.AddPeers(seeders.Select(s => s.LocalEndPoint));
        await session.Completed.WaitAsync(Limit);

        foreach (var file in new[] { "disc 1/a.flac", "disc 1/b.flac", "cover.jpg", "empty.txt" })
        {
            Assert.Equal(
                await File.ReadAllBytesAsync(Path.Combine(source, "album", file)),
                await File.ReadAllBytesAsync(Path.Combine(downloads, "album", file)));
        }

        await leecher.RemoveAsync(torrent.InfoHash);
        var recorded = resume.Load(torrent.InfoHash, torrent.Info.PieceCount);
        Assert.NotNull(recorded);
        Assert.True(recorded.IsComplete);

        // A restart checks what was recorded and needs nobody: every piece is there.
        var again = kit.Client();
        var restarted = again.Add(torrent, kit.Storage(torrent, downloads), resume);
        await restarted.StartAsync(CancellationToken.None);
        await restarted.Completed.WaitAsync(Limit);
        Assert.Equal(0, restarted.Progress.Downloaded);
    }
}
