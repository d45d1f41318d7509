using System.Buffers.Binary;
using Microsoft.Extensions.Time.Testing;
using SmartShare.BitTorrent.Engine;
using SmartShare.BitTorrent.Metainfo;
using SmartShare.BitTorrent.PeerWire;

namespace SmartShare.BitTorrent.Tests.Engine;

/// <summary>
/// The session's timed work (choke rounds, snubbing) on a fake clock: a raw peer talks to a real session over
/// loopback, and the test moves the session's clock instead of shrinking its intervals and sleeping.
/// </summary>
public sealed class TorrentSessionClockTests
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task A_peer_that_loses_interest_is_choked_at_the_next_choke_round_and_not_before()
    {
        await using var kit = new EngineTestKit();
        var time = new FakeTimeProvider();
        var source = kit.Folder("seed");
        await File.WriteAllBytesAsync(Path.Combine(source, "data.bin"), EngineTestKit.RandomBytes(256 * 1024));
        var (_, torrent) = TorrentCreator.Create(Path.Combine(source, "data.bin"), pieceLength: 64 * 1024);
        var seeder = kit.Client(time: time);
        await kit.SeedAsync(seeder, torrent, source);

        await using var raw = await RawPeer.ConnectAsync(seeder.LocalEndPoint, torrent.InfoHash, PeerCapabilities.Fast);
        await raw.SendAsync(RawPeer.Message(PeerMessageType.HaveNone));

        // Not interested from the start: the first round (the first tick, a second in) chokes it; nothing before.
        var choked = raw.ExpectAsync(PeerMessageType.Choke, Patience);
        await raw.SendAsync(RawPeer.Message(PeerMessageType.Interested));
        await raw.SendAsync(RawPeer.Message(PeerMessageType.NotInterested));
        await Task.Delay(300);
        Assert.False(choked.IsCompleted, "choked before any choke round");
        await time.AdvanceUntilAsync(choked, Second);
        await choked;

        // Interest is answered at once while an unchoke slot is free; losing it again waits for the next round,
        // ChokeInterval (10 s) after the first.
        await raw.SendAsync(RawPeer.Message(PeerMessageType.Interested));
        await raw.ExpectAsync(PeerMessageType.Unchoke, Patience);
        await raw.SendAsync(RawPeer.Message(PeerMessageType.NotInterested));
        choked = raw.ExpectAsync(PeerMessageType.Choke, Patience);
        await time.AdvanceInStepsAsync(TimeSpan.FromSeconds(9), Second);
        await Task.Delay(300);
        Assert.False(choked.IsCompleted, "choked before ChokeInterval had passed since the last round");
        await time.AdvanceUntilAsync(choked, Second, atMost: TimeSpan.FromSeconds(3));
        await choked;
    }

    [Fact]
    public async Task A_peer_that_sends_no_block_for_the_snub_timeout_loses_its_requests()
    {
        await using var kit = new EngineTestKit();
        var time = new FakeTimeProvider();
        var content = EngineTestKit.RandomBytes(256 * 1024);
        var source = kit.Folder("seed");
        await File.WriteAllBytesAsync(Path.Combine(source, "data.bin"), content);
        var (_, torrent) = TorrentCreator.Create(Path.Combine(source, "data.bin"), pieceLength: 64 * 1024);
        var leecher = kit.Client(time: time);
        var session = leecher.Add(torrent, kit.Storage(torrent, kit.Folder("downloads")), resume: null);
        await session.StartAsync(CancellationToken.None);

        // A peer that has everything, unchokes, takes the requests and never answers them.
        await using var silent = await RawPeer.ConnectAsync(leecher.LocalEndPoint, torrent.InfoHash);
        var all = new Bitfield(torrent.Info.PieceCount);
        all.SetAll();
        await silent.SendAsync(RawPeer.Bitfield(all.Bytes));
        await silent.SendAsync(RawPeer.Message(PeerMessageType.Unchoke));
        var request = await silent.ExpectAsync(PeerMessageType.Request, Patience);
        Assert.Equal(BlockRequest.BlockSize, BinaryPrimitives.ReadInt32BigEndian(request.AsSpan(8)));

        // SnubTimeout (30 s) of fake time: not a second before it, then its requests go back to the picker.
        var snubbed = "sent nothing for 30 s";
        await time.AdvanceInStepsAsync(TimeSpan.FromSeconds(29), Second);
        await Task.Delay(300);
        Assert.False(kit.LogHas(snubbed), "snubbed before SnubTimeout had passed");
        await time.AdvanceInStepsAsync(TimeSpan.FromSeconds(3), Second);
        await EngineTestKit.WaitAsync(() => kit.LogHas(snubbed), Patience, "the silent peer to be snubbed");
        Assert.Equal(TorrentState.Downloading, session.State);
    }
}
