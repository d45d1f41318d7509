using Microsoft.Extensions.Time.Testing;
using SmartShare.BitTorrent.Engine;
using SmartShare.BitTorrent.Metainfo;

namespace SmartShare.BitTorrent.Tests.Engine;

/// <summary>
/// Complete pieces wait in memory to be checked and written; past <see cref="TorrentSessionOptions.MaxUnwrittenBytes"/>
/// (at least two pieces) no new blocks are asked for until the disk catches up. Real files, real loopback sessions.
/// </summary>
public sealed class UnwrittenBoundTests
{
    private const int PieceLength = 64 * 1024;

    [Fact]
    public async Task The_queue_is_behind_at_its_bound_and_says_once_when_the_writes_bring_it_back_under()
    {
        await using var kit = new EngineTestKit();
        var content = EngineTestKit.RandomBytes(8 * PieceLength);
        var source = kit.Folder("seed");
        await File.WriteAllBytesAsync(Path.Combine(source, "data.bin"), content);
        var (_, torrent) = TorrentCreator.Create(Path.Combine(source, "data.bin"), pieceLength: PieceLength);
        var storage = kit.Storage(torrent, kit.Folder("downloads"));
        var written = new List<int>();
        var caughtUp = 0;
        var verifier = new PieceVerifier(
            torrent.Info,
            storage,
            verified: piece =>
            {
                lock (written)
                {
                    written.Add(piece.Index);
                }

                piece.ReleaseBuffer();
            },
            failedHash: piece => Assert.Fail($"piece {piece.Index} failed its hash"),
            storageFailed: (index, error) => Assert.Fail($"piece {index} could not be written: {error.Message}"),
            maxUnwrittenBytes: 3 * PieceLength,
            caughtUp: () => Interlocked.Increment(ref caughtUp));

        // No worker yet: the third piece queued reaches the bound.
        for (var index = 0; index < 4; index++)
        {
            var piece = new PartialPiece(index, PieceLength);
            content.AsSpan(index * PieceLength, PieceLength).CopyTo(piece.Buffer.Span);
            verifier.Enqueue(piece);
            Assert.Equal(index >= 2, verifier.IsBehind);
        }

        Assert.Equal(4L * PieceLength, verifier.QueuedBytes);
        Assert.Equal(0, Volatile.Read(ref caughtUp));

        using var stop = new CancellationTokenSource();
        var worker = Task.Run(() => verifier.RunAsync(stop.Token));
        await EngineTestKit.WaitAsync(() => { lock (written) { return written.Count == 4; } }, TimeSpan.FromSeconds(30), "the four pieces written");
        verifier.Complete();
        await worker;

        Assert.False(verifier.IsBehind);
        Assert.Equal(0, verifier.QueuedBytes);
        Assert.Equal(1, Volatile.Read(ref caughtUp));
        Assert.Equal(4L * PieceLength, verifier.PeakQueuedBytes);
        storage.Flush();
        using var handle = File.OpenHandle(storage.CurrentPath(0));
        var back = new byte[4 * PieceLength];
        Assert.Equal(back.Length, RandomAccess.Read(handle, back, 0));
        Assert.Equal(content.AsSpan(0, 4 * PieceLength).ToArray(), back);
    }

    [Fact]
    public async Task A_download_bound_to_two_unwritten_pieces_completes_on_the_writes_catching_up_alone()
    {
        await using var kit = new EngineTestKit();
        var content = EngineTestKit.RandomBytes(4 * 1024 * 1024);
        var source = kit.Folder("seed");
        await File.WriteAllBytesAsync(Path.Combine(source, "data.bin"), content);
        var (_, torrent) = TorrentCreator.Create(Path.Combine(source, "data.bin"), pieceLength: PieceLength);
        var seeder = kit.Client();
        await kit.SeedAsync(seeder, torrent, source);

        // The downloader's clock never moves, so its once-a-second top-up never runs: only the blocks arriving and
        // the queue saying it caught up ask for more.
        var downloads = kit.Folder("downloads");
        var downloader = kit.Client(o => o.MaxUnwrittenBytes = 1, new FakeTimeProvider());
        var session = downloader.Add(torrent, kit.Storage(torrent, downloads), resume: null);
        await session.StartAsync(CancellationToken.None);
        session.AddPeers([seeder.LocalEndPoint]);
        await HostilePeerTests.CompletedAsync(kit, session);

        Assert.Equal(content, await File.ReadAllBytesAsync(Path.Combine(downloads, "data.bin")));
        // The bound holds back new requests; the blocks already asked for (64 with no rate known) may still complete pieces.
        var most = (2 * PieceLength) + (new TorrentSessionOptions().InitialOutstandingRequests * BlockRequest.BlockSize);
        Assert.True(session.Verifier.PeakQueuedBytes <= most, $"{session.Verifier.PeakQueuedBytes} bytes waited at once");
    }
}
