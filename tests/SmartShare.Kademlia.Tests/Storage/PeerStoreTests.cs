using SmartShare.Kademlia.Storage;
using SmartShare.Testing;

namespace SmartShare.Kademlia.Tests.Storage;

public class PeerStoreTests
{
    private static readonly NodeId Announcer = NodeId.FromHex("aa");
    private readonly ManualTimeProvider _clock = new();

    private static NodeId Key(byte value) => NodeId.FromBytes([value]);

    [Fact]
    public void Stored_peers_are_returned_until_they_expire()
    {
        var store = new PeerStore(_clock, new PeerStoreOptions { Expiry = TimeSpan.FromHours(24) });
        Assert.True(store.Store(Key(1), [1, 2, 3], Announcer));

        _clock.Advance(TimeSpan.FromHours(23));
        var peer = Assert.Single(store.GetPeers(Key(1)));
        Assert.Equal(new byte[] { 1, 2, 3 }, peer.Value.ToArray());
        Assert.Equal(Announcer, peer.Announcer);

        _clock.Advance(TimeSpan.FromHours(1));
        Assert.Empty(store.GetPeers(Key(1)));
    }

    [Fact]
    public void Storing_the_same_peer_again_refreshes_its_time_instead_of_duplicating_it()
    {
        var store = new PeerStore(_clock);
        store.Store(Key(1), [7], Announcer);
        _clock.Advance(TimeSpan.FromHours(20));
        store.Store(Key(1), [7], Announcer);
        _clock.Advance(TimeSpan.FromHours(20));

        var peer = Assert.Single(store.GetPeers(Key(1)));
        Assert.Equal(_clock.GetUtcNow() - TimeSpan.FromHours(20), peer.StoredAt);
    }

    [Fact]
    public void Remove_expired_drops_old_entries_and_empty_keys()
    {
        var store = new PeerStore(_clock, new PeerStoreOptions { Expiry = TimeSpan.FromMinutes(10) });
        store.Store(Key(1), [1], Announcer);
        _clock.Advance(TimeSpan.FromMinutes(6));
        store.Store(Key(2), [2], Announcer);
        _clock.Advance(TimeSpan.FromMinutes(5));

        Assert.Equal(1, store.RemoveExpired());
        Assert.Equal(1, store.KeyCount);
        Assert.Equal(1, store.PeerCount);
    }

    [Fact]
    public void A_full_key_evicts_its_least_recently_stored_peer()
    {
        var store = new PeerStore(_clock, new PeerStoreOptions { MaxPeersPerKey = 2 });
        store.Store(Key(1), [1], Announcer);
        _clock.Advance(TimeSpan.FromSeconds(1));
        store.Store(Key(1), [2], Announcer);
        _clock.Advance(TimeSpan.FromSeconds(1));
        store.Store(Key(1), [1], Announcer);
        store.Store(Key(1), [3], Announcer);

        Assert.Equal(new byte[] { 1, 3 }, store.GetPeers(Key(1)).Select(peer => peer.Value.Span[0]));
    }

    [Fact]
    public void A_new_key_is_rejected_when_the_store_is_full_of_live_keys()
    {
        var store = new PeerStore(_clock, new PeerStoreOptions { MaxKeys = 2, Expiry = TimeSpan.FromMinutes(1) });
        Assert.True(store.Store(Key(1), [1], Announcer));
        Assert.True(store.Store(Key(2), [1], Announcer));
        Assert.False(store.Store(Key(3), [1], Announcer));
        Assert.True(store.Store(Key(2), [2], Announcer));

        _clock.Advance(TimeSpan.FromMinutes(2));
        Assert.True(store.Store(Key(3), [1], Announcer));
        Assert.Equal(1, store.KeyCount);
    }

    [Fact]
    public void Empty_or_oversized_peer_values_are_rejected()
    {
        var store = new PeerStore(_clock, new PeerStoreOptions { MaxPeerValueLength = 4 });
        Assert.False(store.Store(Key(1), [], Announcer));
        Assert.False(store.Store(Key(1), [1, 2, 3, 4, 5], Announcer));
        Assert.Equal(0, store.KeyCount);
    }
}
