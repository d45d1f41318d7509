using System.Net;
using Microsoft.Extensions.Time.Testing;
using SmartShare.BitTorrent.Engine;
using SmartShare.BitTorrent.Metainfo;
using SmartShare.BitTorrent.PeerWire;

namespace SmartShare.BitTorrent.Tests.Engine;

/// <summary>
/// A seeder's unchoke slots between choke rounds, on a fake clock that never moves (so no round runs): a leecher
/// that asks while every slot is held waits, and gets the slot as soon as a leecher holding one finishes (loses
/// interest) or leaves, not at the next round up to 10 s later (issue 19: 8 libtorrent leechers of our seeder, the
/// last three finished seconds after the others).
/// </summary>
public sealed class ChokeSlotTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task A_waiting_leecher_is_unchoked_when_an_unchoked_one_loses_interest()
    {
        await using var kit = new EngineTestKit();
        var (seeder, torrent) = await SeedAsync(kit);
        var holders = await UnchokedLeechersAsync(seeder, torrent);
        await using var waiting = await RawPeer.ConnectAsync(seeder.LocalEndPoint, torrent.InfoHash, PeerCapabilities.Fast);
        try
        {
            var unchoked = await AskWhileSlotsAreHeldAsync(waiting);

            await holders[2].SendAsync(RawPeer.Message(PeerMessageType.NotInterested));
            await unchoked;
        }
        finally
        {
            foreach (var holder in holders)
            {
                await holder.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_waiting_leecher_is_unchoked_when_an_unchoked_one_leaves()
    {
        await using var kit = new EngineTestKit();
        var (seeder, torrent) = await SeedAsync(kit);
        var holders = await UnchokedLeechersAsync(seeder, torrent);
        await using var waiting = await RawPeer.ConnectAsync(seeder.LocalEndPoint, torrent.InfoHash, PeerCapabilities.Fast);
        try
        {
            var unchoked = await AskWhileSlotsAreHeldAsync(waiting);

            await holders[0].DisposeAsync();
            await unchoked;
        }
        finally
        {
            foreach (var holder in holders)
            {
                await holder.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_slot_held_by_a_leecher_that_lost_interest_is_free_for_a_newcomer()
    {
        await using var kit = new EngineTestKit();
        var (seeder, torrent) = await SeedAsync(kit);
        var holders = await UnchokedLeechersAsync(seeder, torrent);
        try
        {
            // One holder finishes (still unchoked until the next round), then a newcomer asks: answered at once.
            await holders[4].SendAsync(RawPeer.Message(PeerMessageType.NotInterested));
            await using var newcomer = await RawPeer.ConnectAsync(seeder.LocalEndPoint, torrent.InfoHash, PeerCapabilities.Fast);
            await newcomer.SendAsync(RawPeer.Message(PeerMessageType.HaveNone));
            var unchoked = newcomer.ExpectAsync(PeerMessageType.Unchoke, Patience);
            await newcomer.SendAsync(RawPeer.Message(PeerMessageType.Interested));
            await unchoked;
        }
        finally
        {
            foreach (var holder in holders)
            {
                await holder.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_host_with_many_connections_takes_at_most_two_slots_at_once_while_other_hosts_ask()
    {
        await using var kit = new EngineTestKit();
        var (seeder, torrent) = await SeedAsync(kit);
        var peers = new List<RawPeer>();
        try
        {
            // A genuine leecher first, then one host posing as five leechers.
            var genuine = await RawPeer.ConnectAsync(seeder.LocalEndPoint, torrent.InfoHash, PeerCapabilities.Fast, from: IPAddress.Parse("127.0.0.20"));
            peers.Add(genuine);
            await AskAndExpectUnchokeAsync(genuine);

            var attacker = IPAddress.Parse("127.0.0.30");
            var asks = new List<Task<byte[]>>();
            for (var i = 0; i < 5; i++)
            {
                var peer = await RawPeer.ConnectAsync(seeder.LocalEndPoint, torrent.InfoHash, PeerCapabilities.Fast, from: attacker);
                peers.Add(peer);
                await peer.SendAsync(RawPeer.Message(PeerMessageType.HaveNone));
                asks.Add(peer.ExpectAsync(PeerMessageType.Unchoke, Patience));
                await peer.SendAsync(RawPeer.Message(PeerMessageType.Interested));
            }

            // Two of the host's connections get a slot (whichever the seeder read first); its other three wait for the
            // round (the clock never moves).
            var first = await Task.WhenAny(asks);
            await Task.WhenAny(asks.Where(a => a != first));
            await Task.Delay(500);
            Assert.Equal(2, asks.Count(a => a.IsCompletedSuccessfully));

            // The slots it did not take are still free for another host's leecher, at once.
            var second = await RawPeer.ConnectAsync(seeder.LocalEndPoint, torrent.InfoHash, PeerCapabilities.Fast, from: IPAddress.Parse("127.0.0.21"));
            peers.Add(second);
            await AskAndExpectUnchokeAsync(second);
        }
        finally
        {
            foreach (var peer in peers)
            {
                await peer.DisposeAsync();
            }
        }
    }

    private static async Task AskAndExpectUnchokeAsync(RawPeer peer)
    {
        await peer.SendAsync(RawPeer.Message(PeerMessageType.HaveNone));
        var unchoked = peer.ExpectAsync(PeerMessageType.Unchoke, Patience);
        await peer.SendAsync(RawPeer.Message(PeerMessageType.Interested));
        await unchoked;
    }

    private static async Task<(BitTorrentClient Seeder, Torrent Torrent)> SeedAsync(EngineTestKit kit)
    {
        var source = kit.Folder("seed");
        await File.WriteAllBytesAsync(Path.Combine(source, "data.bin"), EngineTestKit.RandomBytes(256 * 1024));
        var (_, torrent) = TorrentCreator.Create(Path.Combine(source, "data.bin"), pieceLength: 64 * 1024);
        var seeder = kit.Client(time: new FakeTimeProvider());
        await kit.SeedAsync(seeder, torrent, source);
        return (seeder, torrent);
    }

    /// <summary>Leechers that take every unchoke slot (four regular and one optimistic), each unchoked on asking.</summary>
    private static async Task<List<RawPeer>> UnchokedLeechersAsync(BitTorrentClient seeder, Torrent torrent)
    {
        var holders = new List<RawPeer>();
        for (var i = 0; i < Choker.RegularSlots + 1; i++)
        {
            var holder = await RawPeer.ConnectAsync(seeder.LocalEndPoint, torrent.InfoHash, PeerCapabilities.Fast);
            holders.Add(holder);
            await holder.SendAsync(RawPeer.Message(PeerMessageType.HaveNone));
            var unchoked = holder.ExpectAsync(PeerMessageType.Unchoke, Patience);
            await holder.SendAsync(RawPeer.Message(PeerMessageType.Interested));
            await unchoked;
        }

        return holders;
    }

    /// <summary>The waiting leecher asks while every slot is held: no unchoke comes (the clock never moves, so no
    /// round runs). Returns the wait for its unchoke.</summary>
    private static async Task<Task<byte[]>> AskWhileSlotsAreHeldAsync(RawPeer waiting)
    {
        await waiting.SendAsync(RawPeer.Message(PeerMessageType.HaveNone));
        var unchoked = waiting.ExpectAsync(PeerMessageType.Unchoke, Patience);
        await waiting.SendAsync(RawPeer.Message(PeerMessageType.Interested));
        await Task.Delay(500);
        Assert.False(unchoked.IsCompleted, "unchoked although every slot was held");
        return unchoked;
    }
}
