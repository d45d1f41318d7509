using SmartShare.BitTorrent.Utp;

namespace SmartShare.BitTorrent.Tests.Utp;

/// <summary>
/// The receiving side of reordering, against a sender the test forges packet by packet under a fake clock: once our
/// connection has seen a packet come a few milliseconds late, it holds the ACK that would show a hole that long, so a
/// sender that counts three packets acknowledged past a hole as a loss (libtorrent, libutp) is not told of one that
/// jitter made; a packet that never comes is still reported, a hold later.
/// </summary>
public sealed class UtpReorderHoldTests
{
    [Fact]
    public async Task A_packet_a_few_milliseconds_late_is_acknowledged_without_a_hole_once_lateness_was_seen()
    {
        await using var network = new UtpTestNetwork();
        var ours = network.AddSocket();
        var raw = network.AddRaw();
        network.Configure(ours.LocalEndPoint, raw.EndPoint, link => link.Delay = TimeSpan.FromMilliseconds(10));
        var (connection, peer) = await RawSession.ConnectAsync(network, ours, raw);
        var app = new UtpTestApp(connection);
        var first = peer.Sequence;
        var syn = network.Log.First(d => d.Header is { Type: UtpPacketType.Syn }).Header!.Value.SequenceNumber;

        // Never seen late: the first hole is reported at once (the ACK at the burst's end names the packet after
        // it); its packet comes 2 ms late, which the connection learns. (Each way takes 10 ms.)
        SendData(peer, syn, (ushort)(first + 1));
        network.Run(TimeSpan.FromMilliseconds(2));
        SendData(peer, syn, first);
        network.Run(TimeSpan.FromMilliseconds(25));
        Assert.Contains(peer.Raw.Take(), p => p.Header.Type == UtpPacketType.State && p.SelectiveAck.Length > 0);
        Assert.True(connection.ReorderHoldMicroseconds >= 2_000, $"hold {connection.ReorderHoldMicroseconds} us");

        // Late by 1 ms now: the ACK that goes out shows no hole, and acknowledges both.
        SendData(peer, syn, (ushort)(first + 3));
        network.Run(TimeSpan.FromMilliseconds(1));
        SendData(peer, syn, (ushort)(first + 2));
        network.Run(TimeSpan.FromMilliseconds(25));
        var acks = peer.Raw.Take().Where(p => p.Header.Type == UtpPacketType.State).ToList();
        Assert.NotEmpty(acks);
        Assert.All(acks, ack => Assert.Empty(ack.SelectiveAck));
        Assert.Equal((ushort)(first + 3), acks[^1].Header.AckNumber);

        // A packet that never comes: the hole is reported once the hold (about 3 ms) is over, not at once (which
        // would reach the sender 20 ms after it sent the packet past the hole).
        SendData(peer, syn, (ushort)(first + 5));
        network.Run(TimeSpan.FromMilliseconds(22));
        Assert.DoesNotContain(peer.Raw.Take(), p => p.Header.Type == UtpPacketType.State);
        network.Run(TimeSpan.FromMilliseconds(10));
        var reported = Assert.Single(peer.Raw.Take(), p => p.Header.Type == UtpPacketType.State);
        Assert.Equal((ushort)(first + 3), reported.Header.AckNumber);
        Assert.Equal(1, reported.SelectiveAck[0] & 1);

        app.Pump();
        Assert.Equal(4 * 100, app.ReceivedCount);
    }

    // A data packet of the forged sender; its ack_nr acknowledges our SYN (we send nothing else).
    private static void SendData(RawSession peer, ushort ourSyn, ushort sequence) =>
        peer.Send(UtpPacketType.Data, ourSyn, payload: new byte[100], sequence: sequence);
}
