using System.Buffers;
using SmartShare.Lbry.Blobs;
using SmartShare.Node.BlobStorage;

namespace SmartShare.Node.Tests.BlobStorage;

/// <summary>
/// Blobs rebuilt from plain files live in pooled arrays shared by the cache and the senders: an array goes back to the
/// pool only when the last holder lets go, never while a sender still reads it.
/// </summary>
public sealed class RebuiltBlobTests
{
    private static BlobHash Hash(byte b)
    {
        var bytes = new byte[48];
        bytes[0] = b;
        return BlobHash.FromBytes(bytes);
    }

    private static (IMemoryOwner<byte> Lease, RebuiltBlob Blob) Make(byte fill, int length = 1000)
    {
        var rented = BlobBuffers.Pool.Rent(length);
        rented.AsSpan(0, length).Fill(fill);
        var lease = RebuiltBlob.Create(rented, length, out var blob);
        return (lease, blob);
    }

    [Fact]
    public void A_blob_evicted_from_the_cache_stays_alive_until_its_last_lease_is_disposed()
    {
        var cache = new ReencryptedBlobCache(capacity: 1);
        var (first, firstBlob) = Make(1);
        cache.Add(Hash(1), firstBlob);
        first.Dispose();
        Assert.True(firstBlob.IsAlive); // the cache's own reference

        using var sending = cache.TryGet(Hash(1));
        Assert.NotNull(sending);
        Assert.Equal(1000, sending.Memory.Length);

        // A second blob pushes the first out of the cache while a sender still reads it.
        var (second, secondBlob) = Make(2);
        cache.Add(Hash(2), secondBlob);
        Assert.Null(cache.TryGet(Hash(1)));
        Assert.True(firstBlob.IsAlive);
        Assert.All(sending.Memory.ToArray(), b => Assert.Equal(1, b));

        sending.Dispose();
        Assert.False(firstBlob.IsAlive);
        Assert.False(firstBlob.TryAddReference());
        Assert.Null(firstBlob.TryLease());

        second.Dispose();
        cache.Remove([Hash(2)]);
        Assert.False(secondBlob.IsAlive);
    }

    [Fact]
    public void A_lease_disposed_twice_lets_go_of_one_reference_only_and_refuses_reads_after()
    {
        var cache = new ReencryptedBlobCache(capacity: 4);
        var (made, blob) = Make(3);
        cache.Add(Hash(3), blob);
        var lease = cache.TryGet(Hash(3))!;
        lease.Dispose();
        lease.Dispose();
        Assert.Throws<ObjectDisposedException>(() => lease.Memory);
        Assert.True(blob.IsAlive); // the cache and the first lease still hold it

        made.Dispose();
        Assert.True(blob.IsAlive);
        cache.Remove([Hash(3)]);
        Assert.False(blob.IsAlive);
    }

    [Fact]
    public void A_blob_of_a_hash_cached_already_is_not_kept_and_goes_back_with_its_lease()
    {
        var cache = new ReencryptedBlobCache(capacity: 4);
        var (kept, keptBlob) = Make(4);
        var (twin, twinBlob) = Make(5);
        cache.Add(Hash(4), keptBlob);
        cache.Add(Hash(4), twinBlob);
        twin.Dispose();
        Assert.False(twinBlob.IsAlive);

        using var cached = cache.TryGet(Hash(4));
        Assert.All(cached!.Memory.ToArray(), b => Assert.Equal(4, b));
        kept.Dispose();
        Assert.Equal(1, cache.Count);
    }
}
