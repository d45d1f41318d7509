using SmartShare.BitTorrent.Engine;
using SmartShare.BitTorrent.Metainfo;
using SmartShare.BitTorrent.Storage;

namespace SmartShare.BitTorrent.Tests.Engine;

/// <summary>
/// A start trusts the recorded pieces of files whose size and last-write time are those stamped with the record,
/// without reading them; a file whose stamp moved is checked; one altered with its time put back is caught when a
/// piece of it is served, and that piece is fetched again.
/// </summary>
public sealed class TrustedResumeTests
{
    private const int PieceLength = 16 * 1024;
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    // Two files of 20 and 12 pieces (the boundary inside piece 19), written an hour ago so their stamps are not racy.
    private static async Task<(Torrent Torrent, string Folder, byte[] First, byte[] Second)> ContentAsync(EngineTestKit kit, string name = "seed")
    {
        var folder = kit.Folder(name);
        var root = Directory.CreateDirectory(Path.Combine(folder, "pair")).FullName;
        var first = EngineTestKit.RandomBytes((20 * PieceLength) - 100);
        var second = EngineTestKit.RandomBytes(12 * PieceLength);
        await File.WriteAllBytesAsync(Path.Combine(root, "a.bin"), first);
        await File.WriteAllBytesAsync(Path.Combine(root, "b.bin"), second);
        var anHourAgo = DateTime.UtcNow.AddHours(-1);
        File.SetLastWriteTimeUtc(Path.Combine(root, "a.bin"), anHourAgo);
        File.SetLastWriteTimeUtc(Path.Combine(root, "b.bin"), anHourAgo);
        var (_, torrent) = TorrentCreator.Create(root, pieceLength: PieceLength);
        return (torrent, folder, first, second);
    }

    // Seeds the share once with a resume store until its record carries every file's stamp, then stops it.
    private static async Task RecordAsync(EngineTestKit kit, Torrent torrent, string folder, ResumeStore resume)
    {
        var client = kit.Client(o => o.ResumeSaveInterval = TimeSpan.FromMilliseconds(100));
        var session = client.Add(torrent, kit.Storage(torrent, folder), resume);
        var all = new Bitfield(torrent.Info.PieceCount);
        all.SetAll();
        await session.StartAsync(CancellationToken.None, all);
        await EngineTestKit.WaitAsync(
            () => resume.LoadRecord(torrent.InfoHash, torrent.Info.PieceCount, 2) is { Pieces.IsComplete: true, Stamps: { } stamps } && stamps.All(s => s.IsKnown),
            Limit,
            "the record with both files' stamps");
        await client.RemoveAsync(torrent.InfoHash);
    }

    // One byte of the file changed in place (same size), as a bad sector or an editor would leave it.
    private static async Task FlipByteAsync(string path, int offset, byte[] original)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        stream.Position = offset;
        stream.WriteByte((byte)~original[offset]);
    }

    [Fact]
    public async Task A_restart_trusts_the_recorded_pieces_of_unchanged_files_without_reading_them()
    {
        await using var kit = new EngineTestKit();
        var (torrent, folder, _, _) = await ContentAsync(kit);
        var resume = ResumeStore.Open(Path.Combine(kit.Root, "resume.db"));
        await RecordAsync(kit, torrent, folder, resume);

        var storage = kit.Storage(torrent, folder);
        var session = kit.Client().Add(torrent, storage, resume);
        await session.StartAsync(CancellationToken.None);

        Assert.Equal(TorrentState.Seeding, session.State);
        Assert.Equal(torrent.Info.PieceCount, session.Progress.PiecesHave);
        Assert.Equal(0, storage.PiecesHashed);
        Assert.True(kit.LogHas($"trusting {torrent.Info.PieceCount} recorded pieces"));
    }

    [Fact]
    public async Task A_record_without_stamps_is_checked_whole_and_then_stamped()
    {
        await using var kit = new EngineTestKit();
        var (torrent, folder, _, _) = await ContentAsync(kit);
        var resume = ResumeStore.Open(Path.Combine(kit.Root, "resume.db"));
        var all = new Bitfield(torrent.Info.PieceCount);
        all.SetAll();
        resume.Save(torrent.InfoHash, all); // as an earlier release recorded it

        var client = kit.Client(o => o.ResumeSaveInterval = TimeSpan.FromMilliseconds(100));
        var storage = kit.Storage(torrent, folder);
        var session = client.Add(torrent, storage, resume);
        await session.StartAsync(CancellationToken.None);
        Assert.Equal(TorrentState.Seeding, session.State);
        Assert.Equal(torrent.Info.PieceCount, storage.PiecesHashed);
        await EngineTestKit.WaitAsync(
            () => resume.LoadRecord(torrent.InfoHash, torrent.Info.PieceCount, 2)?.Stamps is { } stamps && stamps.All(s => s.IsKnown),
            Limit,
            "the record to be stamped");
    }

    [Fact]
    public async Task A_file_changed_behind_the_nodes_back_has_its_pieces_checked_and_the_damaged_one_is_missing()
    {
        await using var kit = new EngineTestKit();
        var (torrent, folder, first, _) = await ContentAsync(kit);
        var resume = ResumeStore.Open(Path.Combine(kit.Root, "resume.db"));
        await RecordAsync(kit, torrent, folder, resume);

        // Same size, one byte altered in piece 3, and the time moved (as any editor would).
        var path = Path.Combine(folder, "pair", "a.bin");
        await FlipByteAsync(path, (3 * PieceLength) + 5, first);

        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(-30));

        var storage = kit.Storage(torrent, folder);
        var session = kit.Client().Add(torrent, storage, resume);
        await session.StartAsync(CancellationToken.None);

        // Only a.bin's pieces (0 to 19, the last shared with b.bin) are read; b.bin's own are trusted.
        Assert.Equal(20, storage.PiecesHashed);
        Assert.Equal(TorrentState.Downloading, session.State);
        Assert.Equal(torrent.Info.PieceCount - 1, session.Progress.PiecesHave);
        Assert.False(session.HasRange(3 * PieceLength, 1));
        Assert.True(kit.LogHas("1 recorded pieces no longer match on disk"));
    }

    [Fact]
    public async Task A_file_altered_with_its_time_put_back_is_caught_when_served_and_the_piece_is_fetched_again()
    {
        await using var kit = new EngineTestKit();
        var (torrent, folder, first, second) = await ContentAsync(kit);
        var resume = ResumeStore.Open(Path.Combine(kit.Root, "resume.db"));
        await RecordAsync(kit, torrent, folder, resume);

        var path = Path.Combine(folder, "pair", "a.bin");
        var stamped = File.GetLastWriteTimeUtc(path);
        await FlipByteAsync(path, (7 * PieceLength) + 9, first);

        File.SetLastWriteTimeUtc(path, stamped);

        // The restart cannot tell: every piece is trusted.
        var storage = kit.Storage(torrent, folder);
        var node = kit.Client(o => o.ResumeSaveInterval = TimeSpan.FromMilliseconds(100));
        var session = node.Add(torrent, storage, resume);
        await session.StartAsync(CancellationToken.None);
        Assert.Equal(TorrentState.Seeding, session.State);
        Assert.Equal(0, storage.PiecesHashed);

        // A leecher asks the node for everything: piece 7 fails its hash as it is read to be served.
        var honest = kit.Client();
        var (_, honestFolder, _, _) = await ContentAsync(kit, "honest");
        await File.WriteAllBytesAsync(Path.Combine(honestFolder, "pair", "a.bin"), first);
        await File.WriteAllBytesAsync(Path.Combine(honestFolder, "pair", "b.bin"), second);
        await kit.SeedAsync(honest, torrent, honestFolder);
        var leecherFolder = kit.Folder("leecher");
        var leecher = kit.Client().Add(torrent, kit.Storage(torrent, leecherFolder), resume: null);
        await leecher.StartAsync(CancellationToken.None);
        leecher.AddPeers([node.LocalEndPoint]);

        await EngineTestKit.WaitAsync(() => session.Progress.PiecesLost == 1, Limit, "the node to find piece 7 damaged");
        Assert.Contains("piece 7", session.Progress.Note, StringComparison.Ordinal);
        var record = resume.LoadRecord(torrent.InfoHash, torrent.Info.PieceCount, 2);
        // Dropped before the piece may be rewritten; a save since stamps the damaged file Unknown until the next start.
        Assert.True(record?.Stamps is null || !record.Stamps[0].IsKnown, "a.bin is still stamped after piece 7 was found damaged");

        // The node fetches it again from the honest seeder and the leecher gets the right bytes from the node.
        await EngineTestKit.WaitAsync(() => session.State == TorrentState.Downloading || session.Progress.PiecesHave == torrent.Info.PieceCount, Limit, "the node to want piece 7 again");
        session.AddPeers([honest.LocalEndPoint]);
        await HostilePeerTests.CompletedAsync(kit, leecher);
        Assert.Equal(first, await File.ReadAllBytesAsync(path));
        Assert.Equal(first, await File.ReadAllBytesAsync(Path.Combine(leecherFolder, "pair", "a.bin")));
        await EngineTestKit.WaitAsync(
            () => resume.LoadRecord(torrent.InfoHash, torrent.Info.PieceCount, 2) is { Pieces.IsComplete: true },
            Limit,
            "the record to hold every piece again");
    }
}
