using SmartShare.BitTorrent.Storage;
using static SmartShare.BitTorrent.Tests.Storage.TestTorrents;

namespace SmartShare.BitTorrent.Tests.Storage;

public sealed class VerifiedPieceCacheTests : IDisposable
{
    private const int PieceLength = 16 * 1024;

    private readonly string _folder = Directory.CreateTempSubdirectory("smartshare-cache-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task A_piece_comes_back_verified_and_a_damaged_piece_as_null()
    {
        var (info, content) = MultiFile("seed", PieceLength, 30, ("a", 30_000), ("b", 30_000));
        using var storage = new TorrentStorage(info, _folder);
        await WriteAllAsync(new Stored(storage, content), Enumerable.Range(0, info.PieceCount));
        FlipByte(storage.FilePaths[1], 10); // torrent byte 30010: piece 1
        using var cache = new VerifiedPieceCache(storage);

        using (var lease = await cache.GetAsync(0, CancellationToken.None))
        {
            Assert.NotNull(lease);
            Assert.Equal(Piece(info, content, 0), lease.Data.ToArray());
        }

        using (var last = await cache.GetAsync(3, CancellationToken.None))
        {
            Assert.NotNull(last);
            Assert.Equal(Piece(info, content, 3), last.Data.ToArray());
        }

        Assert.Null(await cache.GetAsync(1, CancellationToken.None));
        Assert.Equal(3, cache.DiskReads);

        // Served from memory the second time.
        using var again = await cache.GetAsync(0, CancellationToken.None);
        Assert.Equal(Piece(info, content, 0), again!.Data.ToArray());
        Assert.Equal(3, cache.DiskReads);
    }

    [Fact]
    public async Task A_missing_piece_is_null()
    {
        var (info, _) = SingleFile("gone.bin", 40_000, PieceLength);
        using var storage = new TorrentStorage(info, _folder);
        using var cache = new VerifiedPieceCache(storage);
        Assert.Null(await cache.GetAsync(2, CancellationToken.None));
    }

    [Fact]
    public async Task The_cache_evicts_the_least_recently_used_pieces_within_its_bound()
    {
        var fake = new FakeDisk(pieceCount: 10);
        using var cache = fake.Cache(maxBytes: 3 * PieceLength);

        for (var piece = 0; piece < 10; piece++)
        {
            using var lease = await cache.GetAsync(piece, CancellationToken.None);
            Assert.Equal(FakeDisk.Expected(piece), lease!.Data.ToArray());
            Assert.True(cache.CachedBytes <= 3 * PieceLength);
        }

        Assert.Equal(3, cache.CachedPieces);
        Assert.Equal(10, fake.Reads);

        (await cache.GetAsync(9, CancellationToken.None))!.Dispose();
        (await cache.GetAsync(7, CancellationToken.None))!.Dispose();
        Assert.Equal(10, fake.Reads);

        (await cache.GetAsync(0, CancellationToken.None))!.Dispose(); // evicted long ago: read again, evicting 8
        Assert.Equal(11, fake.Reads);
        (await cache.GetAsync(8, CancellationToken.None))!.Dispose();
        Assert.Equal(12, fake.Reads);
        Assert.Equal(3 * PieceLength, cache.CachedBytes);
    }

    [Fact]
    public async Task A_lease_keeps_its_bytes_after_the_piece_is_evicted()
    {
        var fake = new FakeDisk(pieceCount: 6);
        using var cache = fake.Cache(maxBytes: PieceLength);

        using var held = await cache.GetAsync(0, CancellationToken.None);
        for (var piece = 1; piece < 6; piece++)
        {
            using var other = await cache.GetAsync(piece, CancellationToken.None);
            Assert.Equal(FakeDisk.Expected(piece), other!.Data.ToArray());
        }

        Assert.Equal(FakeDisk.Expected(0), held!.Data.ToArray());
        held.Dispose();
        Assert.Throws<ObjectDisposedException>(() => held.Data);
    }

    [Fact]
    public async Task Concurrent_requests_for_one_piece_share_a_single_read()
    {
        var fake = new FakeDisk(pieceCount: 4) { Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) };
        using var cache = fake.Cache(maxBytes: 32 * 1024 * 1024);

        // The first call starts the read, which waits at the gate; the others join it.
        var requests = Enumerable.Range(0, 16).Select(_ => cache.GetAsync(2, CancellationToken.None).AsTask()).ToArray();
        Assert.All(requests, request => Assert.False(request.IsCompleted));
        fake.Gate.SetResult();
        var leases = await Task.WhenAll(requests);

        Assert.Equal(1, fake.Reads);
        Assert.All(leases, lease => Assert.Equal(FakeDisk.Expected(2), lease!.Data.ToArray()));
        foreach (var lease in leases)
        {
            lease!.Dispose();
        }
    }

    [Fact]
    public async Task A_cancelled_waiter_does_not_stop_the_shared_read()
    {
        var fake = new FakeDisk(pieceCount: 2) { Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) };
        using var cache = fake.Cache(maxBytes: 32 * 1024 * 1024);
        using var cancel = new CancellationTokenSource();

        var first = cache.GetAsync(1, cancel.Token).AsTask();
        var second = cache.GetAsync(1, CancellationToken.None).AsTask();
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);
        fake.Gate.SetResult();

        using var lease = await second;
        Assert.Equal(FakeDisk.Expected(1), lease!.Data.ToArray());
        Assert.Equal(1, fake.Reads);
    }

    [Fact]
    public async Task A_put_piece_is_served_without_a_disk_read()
    {
        var fake = new FakeDisk(pieceCount: 3);
        using var cache = fake.Cache(maxBytes: 32 * 1024 * 1024);
        cache.Put(1, FakeDisk.Expected(1));

        using var lease = await cache.GetAsync(1, CancellationToken.None);
        Assert.Equal(FakeDisk.Expected(1), lease!.Data.ToArray());
        Assert.Equal(0, fake.Reads);
        Assert.Throws<ArgumentException>(() => cache.Put(0, new byte[5]));
    }

    [Fact]
    public async Task A_failed_read_reaches_every_waiter_and_the_next_request_tries_again()
    {
        var fake = new FakeDisk(pieceCount: 2) { Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), Fail = true };
        using var cache = fake.Cache(maxBytes: 32 * 1024 * 1024);
        var requests = Enumerable.Range(0, 3).Select(_ => cache.GetAsync(0, CancellationToken.None).AsTask()).ToArray();
        fake.Gate.SetResult();
        foreach (var request in requests)
        {
            await Assert.ThrowsAsync<IOException>(() => request);
        }

        fake.Fail = false;
        using var lease = await cache.GetAsync(0, CancellationToken.None);
        Assert.Equal(FakeDisk.Expected(0), lease!.Data.ToArray());
        Assert.Equal(2, fake.Reads);
    }

    [Fact]
    public async Task Many_concurrent_readers_of_a_small_cache_always_see_their_own_piece()
    {
        var fake = new FakeDisk(pieceCount: 20);
        using var cache = fake.Cache(maxBytes: 3 * PieceLength);

        // A buffer returned to the pool while a lease still held it would show up as another piece's bytes.
        await Parallel.ForEachAsync(Enumerable.Range(0, 2000), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, token) =>
        {
            var piece = (i * 7919) % 20;
            using var lease = await cache.GetAsync(piece, token);
            Assert.True(lease!.Data.Span.SequenceEqual(FakeDisk.Expected(piece)));
            cache.Put((piece + 1) % 20, FakeDisk.Expected((piece + 1) % 20));
            Assert.True(lease.Data.Span.SequenceEqual(FakeDisk.Expected(piece)));
        });

        Assert.True(cache.CachedBytes <= 3 * PieceLength);
    }

    /// <summary>A disk of pieces whose content is a function of their index; reads can wait at a gate.</summary>
    private sealed class FakeDisk(int pieceCount)
    {
        private int _reads;

        public TaskCompletionSource? Gate { get; init; }

        public bool Fail { get; set; }

        public int Reads => Volatile.Read(ref _reads);

        public VerifiedPieceCache Cache(long maxBytes) => new(VerifyAsync, Size, maxBytes);

        public static byte[] Expected(int piece) => RandomBytes(PieceLength, seed: 100 + piece);

        private int Size(int piece)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(piece);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(piece, pieceCount);
            return PieceLength;
        }

        private async ValueTask<bool> VerifyAsync(int piece, Memory<byte> buffer, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _reads);
            if (Gate is not null)
            {
                await Gate.Task.WaitAsync(cancellationToken);
            }

            if (Fail)
            {
                throw new IOException("The fake disk failed.");
            }

            Expected(piece).CopyTo(buffer);
            return true;
        }
    }
}
