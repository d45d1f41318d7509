using SmartShare.BitTorrent.Utp;

namespace SmartShare.BitTorrent.Tests.Utp;

/// <summary>
/// Loss recovery of one connection against a peer the test forges packet by packet, under a fake clock: duplicate
/// ACKs, selective ACKs, and timeouts with their back-off.
/// </summary>
public sealed class UtpLossRecoveryTests
{
    private const int LostIndex = 8;

    [Fact]
    public async Task Three_duplicate_acks_resend_the_missing_packet_exactly_once_and_halve_the_window()
    {
        await using var network = new UtpTestNetwork();
        var (connection, session, app, lost) = await LoseOnePacketAsync(network);
        var window = connection.CongestionWindow;
        Assert.True(window >= 4 * 1380, $"the window grew only to {window}");

        // Two duplicate ACKs: not yet.
        for (var i = 0; i < 2; i++)
        {
            session.Send(UtpPacketType.State, (ushort)(lost - 1));
            network.Run(TimeSpan.FromMilliseconds(25));
        }

        Assert.Equal(0, connection.Retransmissions);
        Assert.DoesNotContain(session.Raw.Take(), p => p.Header.SequenceNumber == lost);

        // The third: the missing packet goes again, once, and the window halves.
        session.Send(UtpPacketType.State, (ushort)(lost - 1));
        network.Run(TimeSpan.FromMilliseconds(25));
        Assert.Equal(1, connection.Retransmissions);
        Assert.Single(session.Raw.Take(), p => p.Header.SequenceNumber == lost);
        Assert.Equal(window / 2, connection.CongestionWindow);

        // Further duplicates of the same ACK resend nothing more.
        for (var i = 0; i < 3; i++)
        {
            session.Send(UtpPacketType.State, (ushort)(lost - 1));
            network.Run(TimeSpan.FromMilliseconds(25));
        }

        Assert.Equal(1, connection.Retransmissions);
        Assert.DoesNotContain(session.Raw.Take(), p => p.Header.SequenceNumber == lost);
        GC.KeepAlive(app);
    }

    [Fact]
    public async Task The_same_ack_number_on_the_peers_data_packets_is_no_duplicate_ack()
    {
        await using var network = new UtpTestNetwork();
        var (connection, session, app, lost) = await LoseOnePacketAsync(network);

        // The peer has data of its own: its packets repeat the ack_nr because they carry data, not because a
        // packet of ours is missing (libutp counts duplicates in state packets only).
        for (var i = 0; i < 5; i++)
        {
            session.Send(UtpPacketType.Data, (ushort)(lost - 1), payload: [1, 2, 3]);
            session.Sequence++;
            network.Run(TimeSpan.FromMilliseconds(25));
        }

        Assert.Equal(0, connection.Retransmissions);
        Assert.DoesNotContain(session.Raw.Take(), p => p.Header.SequenceNumber == lost);
        app.Pump();
        Assert.Equal(15, app.ReceivedCount);
    }

    [Fact]
    public async Task A_selective_ack_of_three_packets_past_a_hole_resends_the_hole_alone()
    {
        await using var network = new UtpTestNetwork();
        var (connection, session, app, lost) = await LoseOnePacketAsync(network);
        var window = connection.CongestionWindow;

        // One ACK: ack_nr waits for the lost packet, the selective ACK says the three after it arrived.
        session.Send(UtpPacketType.State, (ushort)(lost - 1), selectiveAck: [0b0000_0111, 0, 0, 0]);
        network.Run(TimeSpan.FromMilliseconds(25));
        var resent = session.Raw.Take();
        Assert.Single(resent, p => p.Header.SequenceNumber == lost);
        Assert.DoesNotContain(resent, p => p.Header.SequenceNumber is var s && UtpSequence.Distance(lost, s) is >= 1 and <= 3);
        Assert.Equal(1, connection.Retransmissions);

        // The three packets it acknowledges grow the window first (slow start), then the loss halves it (as libutp).
        Assert.Equal((window + (3 * 1380)) / 2, connection.CongestionWindow);
        Assert.True(connection.CongestionWindow < window);

        // Acknowledging everything lets the transfer go on.
        var sent = connection.Retransmissions;
        var newest = network.Log.Last(d => d.Header is { Type: UtpPacketType.Data } h && UtpSequence.Distance(lost, h.SequenceNumber) > 0).Header!.Value.SequenceNumber;
        session.Send(UtpPacketType.State, newest);
        network.Run(TimeSpan.FromMilliseconds(25));
        app.Pump();
        network.Run(TimeSpan.FromMilliseconds(25));
        Assert.Contains(session.Raw.Take(), p => p.Header.Type == UtpPacketType.Data && UtpSequence.Distance(newest, p.Header.SequenceNumber) > 0);
        Assert.Equal(sent, connection.Retransmissions);
    }

    [Fact]
    public async Task A_resend_whose_first_copy_was_only_late_gives_the_halving_back_and_later_holes_wait_a_reorder_window()
    {
        await using var network = new UtpTestNetwork();
        var (connection, session, app, lost) = await LoseOnePacketAsync(network);
        var window = connection.CongestionWindow;

        // The hole is reported (resend, window halved), and 1 ms later the first copy turns up after all: its ACK
        // comes sooner after the resend than any round trip (20 ms here) could bring the resend's.
        session.Send(UtpPacketType.State, (ushort)(lost - 1), selectiveAck: [0b0000_0111, 0, 0, 0]);
        network.Run(TimeSpan.FromMilliseconds(1));
        session.Send(UtpPacketType.State, NewestData(network));
        network.Run(TimeSpan.FromMilliseconds(25));
        Assert.Equal(1, connection.Retransmissions);
        Assert.Equal(1, connection.SpuriousResends);
        Assert.True(connection.CongestionWindow >= window, $"window {connection.CongestionWindow}, was {window}");

        // Reordering was seen: the next hole is not resent at once, and its late first copy means no resend at all.
        var hole = LoseNext(network, app, session);
        session.Send(UtpPacketType.State, (ushort)(hole - 1), selectiveAck: [0b0000_0111, 0, 0, 0]);
        network.Run(TimeSpan.FromMilliseconds(1));
        Assert.Equal(1, connection.Retransmissions);
        session.Send(UtpPacketType.State, NewestData(network));
        network.Run(TimeSpan.FromMilliseconds(150));
        Assert.Equal(1, connection.Retransmissions);
        Assert.DoesNotContain(session.Raw.Take(), p => p.Header.SequenceNumber == hole);

        // A hole whose packet never comes is resent once the reorder window (a quarter round trip) has passed.
        hole = LoseNext(network, app, session);
        session.Send(UtpPacketType.State, (ushort)(hole - 1), selectiveAck: [0b0000_0111, 0, 0, 0]);
        network.Run(TimeSpan.FromMilliseconds(1));
        Assert.Equal(1, connection.Retransmissions);
        network.Run(TimeSpan.FromMilliseconds(100));
        Assert.Equal(2, connection.Retransmissions);
        Assert.Single(session.Raw.Take(), p => p.Header.SequenceNumber == hole);
    }

    [Fact]
    public async Task A_resend_acknowledged_a_round_trip_later_was_a_real_loss_and_the_window_stays_halved()
    {
        await using var network = new UtpTestNetwork();
        var (connection, session, app, lost) = await LoseOnePacketAsync(network);
        var window = connection.CongestionWindow;
        session.Send(UtpPacketType.State, (ushort)(lost - 1), selectiveAck: [0b0000_0111, 0, 0, 0]);
        network.Run(TimeSpan.FromMilliseconds(25));
        Assert.Single(session.Raw.Take(), p => p.Header.SequenceNumber == lost);
        session.Send(UtpPacketType.State, NewestData(network));
        network.Run(TimeSpan.FromMilliseconds(25));
        Assert.Equal(0, connection.SpuriousResends);
        Assert.True(connection.CongestionWindow < window, $"window {connection.CongestionWindow}, was {window}");
        GC.KeepAlive(app);
    }

    [Theory]
    [InlineData(20, 500)] // rtt 40 ms: rtt + 4 rtt_var = 120 ms, below the 500 ms floor
    [InlineData(200, 1200)] // rtt 400 ms, rtt_var 200 ms (the first sample's half): 1,200 ms
    public async Task Timeouts_start_at_rtt_plus_four_deviations_at_least_500_ms_double_each_time_and_end_in_an_error(int oneWayMs, int firstTimeoutMs)
    {
        await using var network = new UtpTestNetwork();
        var ours = network.AddSocket();
        var raw = network.AddRaw();
        network.Configure(ours.LocalEndPoint, raw.EndPoint, link => link.Delay = TimeSpan.FromMilliseconds(oneWayMs));
        var (connection, session) = await RawSession.ConnectAsync(network, ours, raw);
        await connection.WriteAsync(new byte[100], CancellationToken.None);

        // The peer never answers: the packet goes 1 + MaxRetransmits times, then the connection fails.
        var arrivals = new List<DateTimeOffset>();
        Assert.True(network.RunUntil(
            () =>
            {
                arrivals.AddRange(raw.Take().Where(p => p.Header.Type == UtpPacketType.Data).Select(_ => network.Time.GetUtcNow()));
                return connection.State == UtpConnectionState.Closed;
            },
            TimeSpan.FromMinutes(3)));
        Assert.Equal(1 + ours.Options.MaxRetransmits, arrivals.Count);
        var expected = TimeSpan.FromMilliseconds(firstTimeoutMs);
        for (var i = 1; i < arrivals.Count; i++)
        {
            // The timer ticks every 50 ms: a timeout fires on the first tick past its deadline.
            var interval = arrivals[i] - arrivals[i - 1];
            Assert.InRange(interval.TotalMilliseconds, expected.TotalMilliseconds - 5, expected.TotalMilliseconds + 60);
            expected = TimeSpan.FromTicks(Math.Min(expected.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
        }

        var readError = await Assert.ThrowsAsync<IOException>(() => connection.Stream.ReadAsync(new byte[1]).AsTask().WaitAsync(UtpTestApp.RealTimeLimit));
        Assert.Contains("timed out", readError.Message, StringComparison.Ordinal);
        Assert.Contains(raw.EndPoint.ToString(), readError.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<IOException>(() => connection.WriteAsync(new byte[1], CancellationToken.None).AsTask());
        Assert.Equal(0, ours.ConnectionCount);
        GC.KeepAlive(session);
    }

    [Fact]
    public async Task A_timeout_resets_the_window_to_one_packet_and_sends_only_the_oldest()
    {
        await using var network = new UtpTestNetwork();
        var (connection, session, app, lost) = await LoseOnePacketAsync(network);
        Assert.True(connection.CongestionWindow > 4 * 1380);
        session.Raw.Take();

        // No more ACKs: the first timeout sends only the oldest packet in flight, and the window is one packet.
        Assert.True(network.RunUntil(() => session.Raw.Pending > 0, TimeSpan.FromSeconds(2)));
        network.Run(TimeSpan.FromMilliseconds(100));
        var resent = Assert.Single(session.Raw.Take());
        Assert.Equal(lost, resent.Header.SequenceNumber);
        Assert.Equal(1380, connection.CongestionWindow);
        Assert.Equal(1, connection.Retransmissions);
        GC.KeepAlive(app);
    }

    private static ushort NewestData(UtpTestNetwork network) =>
        network.Log.Last(d => d.Header is { Type: UtpPacketType.Data }).Header!.Value.SequenceNumber;

    // Acknowledges every packet sent so far, ACKs the next data packets in order, loses the third from now and holds
    // back ACKs of the three after it. Returns the lost packet's number.
    private static ushort LoseNext(UtpTestNetwork network, UtpTestApp app, RawSession session)
    {
        var newest = NewestData(network);
        session.Send(UtpPacketType.State, newest);
        var lost = (ushort)(newest + 3);
        var after = 0;
        Assert.True(network.RunUntil(
            () =>
            {
                app.Pump();
                foreach (var packet in session.Raw.Take().Where(p => p.Header.Type == UtpPacketType.Data))
                {
                    var distance = UtpSequence.Distance(lost, packet.Header.SequenceNumber);
                    if (distance < 0 && UtpSequence.Distance(newest, packet.Header.SequenceNumber) > 0)
                    {
                        session.Send(UtpPacketType.State, packet.Header.SequenceNumber);
                    }
                    else if (distance > 0)
                    {
                        after++;
                    }
                }

                return after >= 3;
            },
            TimeSpan.FromSeconds(5)));
        return lost;
    }

    // Connects to a forged peer over a 10 ms link, lets the window grow while the peer ACKs every packet in order,
    // and loses the ninth data packet: the peer holds the three after it unacknowledged. Returns that packet's number.
    private static async Task<(UtpConnection Connection, RawSession Session, UtpTestApp App, ushort Lost)> LoseOnePacketAsync(UtpTestNetwork network)
    {
        var ours = network.AddSocket();
        var raw = network.AddRaw();
        network.Configure(ours.LocalEndPoint, raw.EndPoint, link => link.Delay = TimeSpan.FromMilliseconds(10));
        var (connection, session) = await RawSession.ConnectAsync(network, ours, raw);
        var app = new UtpTestApp(connection);
        app.Send(new byte[400 * 1380]);
        app.Pump();

        ushort? first = null;
        ushort lost = 0;
        var after = 0;
        Assert.True(network.RunUntil(
            () =>
            {
                app.Pump();
                foreach (var packet in raw.Take().Where(p => p.Header.Type == UtpPacketType.Data))
                {
                    first ??= packet.Header.SequenceNumber;
                    lost = (ushort)(first.Value + LostIndex);
                    var distance = UtpSequence.Distance(lost, packet.Header.SequenceNumber);
                    if (distance < 0)
                    {
                        session.Send(UtpPacketType.State, packet.Header.SequenceNumber);
                    }
                    else if (distance > 0)
                    {
                        after++;
                    }
                }

                return after >= 3;
            },
            TimeSpan.FromSeconds(5)));
        Assert.Equal(0, connection.Retransmissions);
        return (connection, session, app, lost);
    }
}
