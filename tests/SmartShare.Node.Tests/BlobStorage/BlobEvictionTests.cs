using SmartShare.Lbry;
using SmartShare.Lbry.Blobs;
using SmartShare.Lbry.Streams;
using SmartShare.Node.BlobStorage;
using SmartShare.Node.Downloads;
using SmartShare.Node.Tests.Downloads;
using SmartShare.Testing;

namespace SmartShare.Node.Tests.BlobStorage;

/// <summary>
/// The storage limit over a real blob folder and database: past the limit the least recently used cached blobs go,
/// never a share's blobs, a running download's or a listed stream's descriptor, and the total stays exact across a
/// restart. The limit here is in bytes (small blobs keep the test fast); the setting's megabytes map onto it.
/// </summary>
public sealed class BlobEvictionTests : IDisposable
{
    private const int CachedBlobSize = 100_000;

    private readonly NodeTestDirectory _directory = new();
    private readonly ManualTimeProvider _time = new(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero));

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Caching_more_evicts_the_oldest_cached_blobs_and_never_a_shares()
    {
        var data = _directory.File("data");
        var storage = LbryStorage.Open(data, time: _time);
        var files = FileStore.Open(data);
        var database = HostingDatabase.Open(data);
        var uses = new BlobUseLog(database, _time);
        var eviction = new BlobEviction(storage, database, uses);

        // The user's share (3 data blobs), a finished download of someone else's stream (its data blobs are cache),
        // and a download still running (1 of its blobs here): all listed.
        var share = await CreateStreamAsync(storage, "share.bin", 4_500_000, 1);
        files.Upsert(Record(share.SdHash, FileKind.Share, FileStatus.Completed));
        var finished = await CreateStreamAsync(storage, "finished.bin", 250_000, 2);
        files.Upsert(Record(finished.SdHash, FileKind.Download, FileStatus.Completed));
        var running = await CreateStreamAsync(storage, "running.bin", 150_000, 3);
        storage.Streams.Remove(running.SdHash);
        files.Upsert(Record(running.SdHash, FileKind.Download, FileStatus.Downloading));
        _time.Advance(TimeSpan.FromSeconds(10));

        // Then twenty cached blobs of no stream, a second apart; the oldest is used again later.
        var cached = new List<BlobHash>();
        for (var i = 0; i < 20; i++)
        {
            cached.Add(storage.Blobs.Add(RandomBytes(CachedBlobSize, 100 + i)).Hash);
            _time.Advance(TimeSpan.FromSeconds(1));
        }

        uses.Touch(cached[0]);
        var pinned = BlobPins.Compute(storage, files);
        var (_, before) = storage.Blobs.Totals();

        // Room for everything but eight cached blobs' worth.
        var limit = before - (8 * CachedBlobSize);
        var result = eviction.Run(limit, () => pinned);

        Assert.True(result.UsedAfter <= limit, $"{result.UsedAfter} bytes left over a limit of {limit}");
        Assert.Equal(before, result.UsedBefore);
        Assert.All(StreamBlobs.Of(share.SdHash, share.Descriptor), blob => Assert.True(storage.Blobs.Contains(blob), $"a share's blob {blob} was evicted"));
        Assert.All(StreamBlobs.Of(running.SdHash, running.Descriptor), blob => Assert.True(storage.Blobs.Contains(blob), $"a running download's blob {blob} was evicted"));
        Assert.True(storage.Blobs.Contains(finished.SdHash), "a listed stream's sd blob was evicted");

        // The finished download's data blob is the oldest cache, then the cached blobs in the order they came; the
        // one used again is the youngest and stays.
        Assert.False(storage.Blobs.Contains(finished.Descriptor.DataBlobHash(0)));
        var evicted = cached.Where(blob => !storage.Blobs.Contains(blob)).ToList();
        Assert.Equal(cached.Skip(1).Take(evicted.Count), evicted);
        Assert.InRange(evicted.Count, 5, 8);
        Assert.True(storage.Blobs.Contains(cached[0]), "the blob used again was evicted");
        Assert.Equal(result.Evicted, evicted.Count + 1);
    }

    [Fact]
    public async Task The_total_is_exact_after_a_restart_and_matches_the_folder()
    {
        var data = _directory.File("data");
        var storage = LbryStorage.Open(data, time: _time);
        var files = FileStore.Open(data);
        var database = HostingDatabase.Open(data);
        var uses = new BlobUseLog(database, _time);
        var share = await CreateStreamAsync(storage, "share.bin", 2_500_000, 4);
        files.Upsert(Record(share.SdHash, FileKind.Share, FileStatus.Completed));
        for (var i = 0; i < 12; i++)
        {
            storage.Blobs.Add(RandomBytes(CachedBlobSize + i, 200 + i));
            _time.Advance(TimeSpan.FromSeconds(1));
        }

        var result = new BlobEviction(storage, database, uses).Run(storage.Blobs.Totals().Bytes - (5 * CachedBlobSize), () => BlobPins.Compute(storage, files));
        Assert.True(result.Evicted >= 5);

        var reopened = LbryStorage.Open(data, time: _time);
        var onDisk = new DirectoryInfo(Path.Combine(data, LbryStorage.BlobFolderName)).GetFiles();

        Assert.Equal((onDisk.Length, onDisk.Sum(file => file.Length)), reopened.Blobs.Totals());
        Assert.Equal(result.UsedAfter, reopened.Blobs.Totals().Bytes);
        Assert.Empty(reopened.StartupReport.Missing);
        Assert.Empty(reopened.StartupReport.Added);
    }

    [Fact]
    public async Task Nothing_pinned_is_evicted_even_when_the_limit_cannot_be_met()
    {
        var data = _directory.File("data");
        var storage = LbryStorage.Open(data, time: _time);
        var files = FileStore.Open(data);
        var database = HostingDatabase.Open(data);
        var share = await CreateStreamAsync(storage, "share.bin", 2_500_000, 5);
        files.Upsert(Record(share.SdHash, FileKind.Share, FileStatus.Completed));

        var result = new BlobEviction(storage, database, new BlobUseLog(database, _time)).Run(1, () => BlobPins.Compute(storage, files));

        Assert.Equal(0, result.Evicted);
        Assert.Equal(result.UsedBefore, result.UsedAfter);
        Assert.All(StreamBlobs.Of(share.SdHash, share.Descriptor), blob => Assert.True(storage.Blobs.Contains(blob)));
    }

    [Fact]
    public void Uses_are_written_in_batches_and_order_eviction_after_a_flush()
    {
        var data = _directory.File("data");
        var storage = LbryStorage.Open(data, time: _time);
        var files = FileStore.Open(data);
        var database = HostingDatabase.Open(data);
        var uses = new BlobUseLog(database, _time);
        var first = storage.Blobs.Add(RandomBytes(CachedBlobSize, 1)).Hash;
        _time.Advance(TimeSpan.FromSeconds(5));
        var second = storage.Blobs.Add(RandomBytes(CachedBlobSize, 2)).Hash;
        _time.Advance(TimeSpan.FromSeconds(5));

        // Reading the older blob counts as a use once the store reports reads to the log.
        storage.Blobs.BlobRead += uses.Touch;
        storage.Blobs.ReadAllVerified(first);
        Assert.Equal(1, uses.Pending);
        uses.Flush();
        Assert.Equal(0, uses.Pending);

        // A fresh log (a restarted node) orders by what was flushed.
        var result = new BlobEviction(storage, database, new BlobUseLog(database, _time)).Run(CachedBlobSize, () => BlobPins.Compute(storage, files));

        Assert.Equal(1, result.Evicted);
        Assert.True(storage.Blobs.Contains(first));
        Assert.False(storage.Blobs.Contains(second));
    }

    private static FileRecord Record(BlobHash sdHash, FileKind kind, FileStatus status) =>
        new(sdHash, kind, status, null, null, null, null, [], DateTimeOffset.UnixEpoch, null);

    private async Task<StreamCreateResult> CreateStreamAsync(LbryStorage storage, string name, int length, int seed)
    {
        var path = TransferNode.WriteRandomFile(_directory.File(name), length, seed);
        return await new StreamEncryptor(storage, new DeterministicRandomSource((ulong)seed)).CreateAsync(path);
    }

    private static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
