using SmartShare.BitTorrent.Engine;
using SmartShare.Networking;

namespace SmartShare.BitTorrent.Tests.Engine;

public sealed class ChokerTests
{
    private sealed record Peer(string Name)
    {
        public override string ToString() => Name;
    }

    private static readonly Peer[] Peers = [.. Enumerable.Range(0, 10).Select(i => new Peer($"p{i}"))];

    // Peer i downloads to us at rate i and takes from us at rate 10 - i.
    private static List<ChokeCandidate<Peer>> Candidates(Func<int, bool>? interested = null) =>
        [.. Peers.Select((p, i) => new ChokeCandidate<Peer>(p, interested?.Invoke(i) ?? true, DownloadRate: i * 1000, UploadRate: (10 - i) * 1000))];

    private static string Names(IEnumerable<Peer> peers) => string.Join(",", peers.Select(p => p.Name).Order());

    [Fact]
    public void Leeching_unchokes_the_four_fastest_givers_plus_one_optimistic()
    {
        Peer? optimistic = null;
        var unchoked = Choker.Decide(Candidates(), seeding: false, ref optimistic, rotate: true, draw: _ => 0);
        Assert.Equal(5, unchoked.Count);
        Assert.Equal("p6,p7,p8,p9", Names(unchoked.Where(p => p != optimistic)));
        Assert.NotNull(optimistic);
        Assert.DoesNotContain(optimistic, Peers[6..]);
        Assert.Contains(optimistic, unchoked);
    }

    [Fact]
    public void Seeding_unchokes_the_four_fastest_takers()
    {
        Peer? optimistic = null;
        var unchoked = Choker.Decide(Candidates(), seeding: true, ref optimistic, rotate: true, draw: n => n - 1);
        Assert.Equal("p0,p1,p2,p3", Names(unchoked.Where(p => p != optimistic)));
        Assert.NotNull(optimistic);
        Assert.Contains(optimistic, Peers[4..]);
    }

    [Fact]
    public void Uninterested_peers_are_never_unchoked()
    {
        for (var draw = 0; draw < 3; draw++)
        {
            Peer? optimistic = null;
            var d = draw;
            var unchoked = Choker.Decide(Candidates(i => i % 3 == 0), seeding: false, ref optimistic, rotate: true, draw: n => Math.Min(d, n - 1));
            Assert.All(unchoked, p => Assert.Equal(0, int.Parse(p.Name[1..], System.Globalization.CultureInfo.InvariantCulture) % 3));
            Assert.Equal("p0,p3,p6,p9", Names(unchoked));
            Assert.Null(optimistic);
        }

        Peer? none = null;
        Assert.Empty(Choker.Decide(Candidates(_ => false), seeding: true, ref none, rotate: true, draw: _ => 0));
        Assert.Null(none);

        // An optimistic peer that lost interest is replaced.
        Peer? stale = Peers[1];
        var after = Choker.Decide(Candidates(i => i != 1), seeding: false, ref stale, rotate: false, draw: _ => 0);
        Assert.DoesNotContain(Peers[1], after);
        Assert.NotEqual(Peers[1], stale);
    }

    [Fact]
    public void The_optimistic_unchoke_is_kept_until_rotation_then_drawn_among_the_rest()
    {
        Peer? optimistic = Peers[2];
        var draws = 0;
        for (var round = 0; round < 5; round++)
        {
            var unchoked = Choker.Decide(Candidates(), seeding: false, ref optimistic, rotate: false, draw: n => { draws++; return 0; });
            Assert.Same(Peers[2], optimistic);
            Assert.Contains(Peers[2], unchoked);
            Assert.Equal(5, unchoked.Count);
        }

        Assert.Equal(0, draws);

        // Rotation draws among the six peers outside the regular slots, whatever the draw returns.
        var seen = new HashSet<Peer>();
        for (var pick = 0; pick < 6; pick++)
        {
            var p = pick;
            var unchoked = Choker.Decide(Candidates(), seeding: false, ref optimistic, rotate: true, draw: n =>
            {
                Assert.Equal(6, n);
                return p;
            });
            Assert.NotNull(optimistic);
            Assert.Contains(optimistic, unchoked);
            seen.Add(optimistic);
        }

        Assert.Equal("p0,p1,p2,p3,p4,p5", Names(seen));
    }

    [Fact]
    public void Few_interested_peers_all_get_regular_slots_and_no_optimistic()
    {
        Peer? optimistic = Peers[0];
        var unchoked = Choker.Decide(Candidates(i => i < 3), seeding: false, ref optimistic, rotate: false, draw: _ => throw new InvalidOperationException("nothing to draw"));
        Assert.Equal("p0,p1,p2", Names(unchoked));
        Assert.Null(optimistic);
    }

    [Fact]
    public void One_host_gets_one_regular_slot_while_other_hosts_want_one()
    {
        var a = new NetworkHost(0, 1);
        var b = new NetworkHost(0, 2);
        var c = new NetworkHost(0, 3);

        // Host a holds the six fastest connections; b and c one slow one each.
        List<ChokeCandidate<Peer>> candidates =
        [
            .. Peers.Take(6).Select((p, i) => new ChokeCandidate<Peer>(p, true, DownloadRate: 100 - i, UploadRate: 0) { Host = a }),
            new ChokeCandidate<Peer>(Peers[6], true, DownloadRate: 2, UploadRate: 0) { Host = b },
            new ChokeCandidate<Peer>(Peers[7], true, DownloadRate: 1, UploadRate: 0) { Host = c },
        ];
        Peer? optimistic = null;
        var unchoked = Choker.Decide(candidates, seeding: false, ref optimistic, rotate: true, draw: _ => 0);

        // a, b and c one each, then a's next fastest takes the slot no other host wants; the optimistic is a's too.
        Assert.Equal("p0,p1,p6,p7", Names(unchoked.Where(p => p != optimistic)));
        Assert.Equal(Peers[2], optimistic);

        // With a fourth and fifth host waiting, a keeps one regular slot and the optimistic goes to a host with none.
        var d = new NetworkHost(0, 4);
        var e = new NetworkHost(0, 5);
        candidates.Add(new ChokeCandidate<Peer>(Peers[8], true, DownloadRate: 0.5, UploadRate: 0) { Host = d });
        candidates.Add(new ChokeCandidate<Peer>(Peers[9], true, DownloadRate: 0.25, UploadRate: 0) { Host = e });
        optimistic = null;
        unchoked = Choker.Decide(candidates, seeding: false, ref optimistic, rotate: true, draw: _ => 0);
        Assert.Equal("p0,p6,p7,p8", Names(unchoked.Where(p => p != optimistic)));
        Assert.Equal(Peers[9], optimistic);
    }
}
