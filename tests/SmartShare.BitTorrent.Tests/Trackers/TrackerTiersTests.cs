using SmartShare.BitTorrent.Trackers;

namespace SmartShare.BitTorrent.Tests.Trackers;

public class TrackerTiersTests
{
    [Fact]
    public void From_torrent_prefers_the_announce_list_skipping_bad_and_repeated_urls()
    {
        var tiers = TrackerTiers.FromTorrent(
            "http://127.0.0.1/ignored",
            [
                ["http://127.0.0.1:1/announce", "not a url", "wss://127.0.0.1/announce", "udp://127.0.0.1:2"],
                ["dht://x", ""],
                ["http://127.0.0.1:1/announce", "https://127.0.0.1:3/announce"],
            ]);

        Assert.Equal(2, tiers.Count);
        Assert.Equal([new Uri("http://127.0.0.1:1/announce"), new Uri("udp://127.0.0.1:2")], tiers[0]);
        Assert.Equal([new Uri("https://127.0.0.1:3/announce")], tiers[1]);
    }

    [Fact]
    public void From_torrent_falls_back_to_announce()
    {
        var single = TrackerTiers.FromTorrent("udp://127.0.0.1:9/announce", []);
        Assert.Equal([[new Uri("udp://127.0.0.1:9/announce")]], single);

        var unusable = TrackerTiers.FromTorrent("http://127.0.0.1:9/announce", [["ftp://127.0.0.1/x"]]);
        Assert.Single(unusable);

        Assert.Empty(TrackerTiers.FromTorrent(null, []));
        Assert.Empty(TrackerTiers.FromTorrent("magnet:?xt=x", []));
    }

    [Fact]
    public void Tiers_are_shuffled_within_and_kept_in_order_across()
    {
        var first = Enumerable.Range(1, 8).Select(i => new Uri($"http://127.0.0.1:{i}/announce")).ToArray();
        var second = new[] { new Uri("udp://127.0.0.1:100") };

        var tiers = new TrackerTiers([first, second], new CountingRandom());
        var order = tiers.InOrder().ToArray();

        Assert.Equal(9, order.Length);
        Assert.Equal(first.ToHashSet(), order[..8].ToHashSet());
        Assert.NotEqual(first, order[..8]);
        Assert.Equal(second[0], order[8]);
    }

    [Fact]
    public void A_tracker_that_answers_moves_to_the_front_of_its_tier()
    {
        var a = new Uri("http://127.0.0.1:1/announce");
        var b = new Uri("http://127.0.0.1:2/announce");
        var c = new Uri("http://127.0.0.1:3/announce");
        var d = new Uri("http://127.0.0.1:4/announce");
        var tiers = new TrackerTiers([[a, b, c], [d]], new CountingRandom());
        var before = tiers.InOrder().ToArray();

        tiers.Succeeded(before[2]);
        tiers.Succeeded(d);
        tiers.Succeeded(new Uri("http://127.0.0.1:99/announce"));

        Assert.Equal([before[2], before[0], before[1], d], tiers.InOrder());
    }

    /// <summary>A predictable source: 0, 1, 2, ... as little-endian words.</summary>
    private sealed class CountingRandom : IRandomSource
    {
        private uint _next = 1;

        public void Fill(Span<byte> destination)
        {
            for (var i = 0; i < destination.Length; i++)
            {
                destination[i] = (byte)(_next * 7919 >> (8 * (i % 4)));
            }

            _next++;
        }
    }
}
