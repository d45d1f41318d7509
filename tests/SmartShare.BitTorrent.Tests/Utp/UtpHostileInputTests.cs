using System.Net;
using SmartShare.BitTorrent.Utp;
using SmartShare.Testing;

namespace SmartShare.BitTorrent.Tests.Utp;

/// <summary>
/// A uTP socket fed hostile datagrams under a fake clock: noise and mutated packets, strays, SYN floods, silent
/// openers, forged acknowledgements, and a peer that tries to make us hold more than the receive window.
/// </summary>
public sealed class UtpHostileInputTests
{
    [Fact]
    public async Task Random_and_mutated_datagrams_never_throw_and_only_syns_make_state()
    {
        await using var network = new UtpTestNetwork { Logging = false };
        var ours = network.AddSocket();
        var peer = network.AddSocket();
        var (client, server) = await UtpTestApp.ConnectAsync(network, peer, ours);
        var random = new DeterministicRandomSource(99);

        // Phase 1, no SYNs: random bytes and mutated valid packets from many addresses make no state at all.
        var syns = 0;
        for (var i = 0; i < 20_000; i++)
        {
            var datagram = i % 2 == 0 ? RandomBytes(random) : MutatedPacket(random);
            if (datagram.Length > 0 && datagram[0] >> 4 == (int)UtpPacketType.Syn)
            {
                datagram[0] &= 0x0F;
            }

            ours.Receive(datagram, Stranger(random));
            if (i % 16 == 0)
            {
                ours.ReceiveBurstEnded();
            }
        }

        Assert.Equal(1, ours.ConnectionCount);
        Assert.True(ours.Malformed > 1000, $"{ours.Malformed} malformed");
        Assert.True(ours.ResetsSent > 100, $"{ours.ResetsSent} resets");

        // Phase 2, SYNs allowed: each new connection needed a well-formed SYN.
        for (var i = 0; i < 20_000; i++)
        {
            var datagram = i % 2 == 0 ? RandomBytes(random) : MutatedPacket(random);
            if (IsSyn(datagram))
            {
                syns++;
            }

            ours.Receive(datagram, Stranger(random));
        }

        ours.ReceiveBurstEnded();
        Assert.InRange(ours.ConnectionCount - 1, 1, syns);

        // Phase 3: mutated packets from the real peer's address with the real connection ids. Anything may happen
        // to that connection (a forged RESET or FIN is as good as the peer's own), but nothing throws.
        for (var i = 0; i < 5_000; i++)
        {
            var datagram = MutatedPacket(random, i % 2 == 0 ? server.Connection.ReceiveId : (ushort)(server.Connection.ReceiveId - 1));
            ours.Receive(datagram, peer.LocalEndPoint);
        }

        ours.ReceiveBurstEnded();

        // The half-open connections the SYNs opened are forgotten once their openers stay silent.
        network.Run(ours.Options.HalfOpenTimeout + TimeSpan.FromSeconds(1), step: TimeSpan.FromMilliseconds(10));
        Assert.InRange(ours.ConnectionCount, 0, 1);
        GC.KeepAlive(client);
    }

    [Fact]
    public async Task Packets_of_unknown_connections_get_a_reset_rate_limited_per_address()
    {
        await using var network = new UtpTestNetwork();
        var ours = network.AddSocket();
        var first = network.AddRaw();
        var second = network.AddRaw();
        var burst = ours.Options.SynBurstPerAddress;

        SendStrays(first, ours, 200, connectionBase: 1000);
        network.Step(TimeSpan.FromMilliseconds(1));
        var resets = first.Take();
        Assert.Equal(burst, resets.Count);
        Assert.All(resets, r => Assert.Equal(UtpPacketType.Reset, r.Header.Type));

        // A RESET names the stray's connection id and acknowledges its sequence number.
        Assert.Equal(1000, resets[0].Header.ConnectionId);
        Assert.Equal(7, resets[0].Header.AckNumber);

        // Another address has its own budget; the first earns SynsPerSecondPerAddress a second back.
        SendStrays(second, ours, 10, connectionBase: 3000);
        network.Step(TimeSpan.FromSeconds(1));
        Assert.Equal(10, second.Take().Count);
        SendStrays(first, ours, 200, connectionBase: 5000);
        network.Step(TimeSpan.FromMilliseconds(1));
        Assert.InRange(first.Take().Count, ours.Options.SynsPerSecondPerAddress - 1, ours.Options.SynsPerSecondPerAddress + 1);
        Assert.Equal(0, ours.ConnectionCount);
    }

    [Fact]
    public async Task A_syn_flood_is_limited_per_address_the_half_open_cap_holds_and_silent_openers_are_forgotten()
    {
        await using var network = new UtpTestNetwork();
        var ours = network.AddSocket();
        ours.StartAccepting();
        var accepting = ours.AcceptAsync(CancellationToken.None);
        var flooder = network.AddRaw();

        // One address: its burst of SYNs is answered, the rest refused.
        for (var i = 0; i < 500; i++)
        {
            flooder.Send(ours.LocalEndPoint, new UtpHeader(UtpPacketType.Syn, (ushort)(i * 2), 1, 0, 1 << 20, (ushort)i, 0));
        }

        network.Step(TimeSpan.FromMilliseconds(1));
        var burst = ours.Options.SynBurstPerAddress;
        Assert.Equal(burst, ours.ConnectionCount);
        Assert.Equal(500 - burst, ours.Refused);
        Assert.Equal(burst, flooder.Take().Count(p => p.Header.Type == UtpPacketType.State));

        // Many addresses: the half-open cap holds whatever the spread.
        for (var host = 0; host < 100; host++)
        {
            var raw = network.AddRaw();
            raw.Send(ours.LocalEndPoint, new UtpHeader(UtpPacketType.Syn, 10, 1, 0, 1 << 20, 1, 0));
            raw.Send(ours.LocalEndPoint, new UtpHeader(UtpPacketType.Syn, 20, 1, 0, 1 << 20, 1, 0));
        }

        network.Step(TimeSpan.FromMilliseconds(1));
        Assert.Equal(ours.Options.MaxHalfOpen, ours.ConnectionCount);

        // Nobody sent data: all are forgotten after the half-open timeout, and none was handed to the application.
        network.Run(ours.Options.HalfOpenTimeout - TimeSpan.FromSeconds(1), step: TimeSpan.FromMilliseconds(10));
        Assert.Equal(ours.Options.MaxHalfOpen, ours.ConnectionCount);
        network.Run(TimeSpan.FromSeconds(2), step: TimeSpan.FromMilliseconds(10));
        Assert.Equal(0, ours.ConnectionCount);
        Assert.False(accepting.IsCompleted);
    }

    [Fact]
    public async Task An_ack_of_packets_never_sent_or_long_gone_is_ignored()
    {
        await using var network = new UtpTestNetwork();
        var ours = network.AddSocket();
        var raw = network.AddRaw();
        var (connection, session) = await RawSession.ConnectAsync(network, ours, raw);
        await connection.WriteAsync(new byte[100], CancellationToken.None);
        network.Step(TimeSpan.FromMilliseconds(1));
        var sent = Assert.Single(raw.Take()).Header.SequenceNumber;

        // ACKs of sequence numbers after the one sent, and far before it: had either been taken, nothing would be resent.
        session.Send(UtpPacketType.State, (ushort)(sent + 1));
        session.Send(UtpPacketType.State, (ushort)(sent + 30_000));
        session.Send(UtpPacketType.State, (ushort)(sent - 20));
        network.Run(TimeSpan.FromSeconds(1));
        var resent = raw.Take();
        Assert.Contains(resent, p => p.Header.SequenceNumber == sent && p.Header.Type == UtpPacketType.Data);
        Assert.Equal(1, connection.Retransmissions);

        // The true ACK is taken: nothing more is resent.
        session.Send(UtpPacketType.State, sent);
        network.Run(TimeSpan.FromSeconds(3));
        Assert.DoesNotContain(raw.Take(), p => p.Header.Type == UtpPacketType.Data);
        Assert.Equal(1, connection.Retransmissions);
    }

    [Fact]
    public async Task An_ack_of_packets_queued_but_not_yet_sent_is_ignored()
    {
        await using var network = new UtpTestNetwork();
        var ours = network.AddSocket();
        var raw = network.AddRaw();
        var (connection, session) = await RawSession.ConnectAsync(network, ours, raw);

        // The window starts at one packet: the first goes, the next two wait in the queue.
        await connection.WriteAsync(new byte[3 * 1380], CancellationToken.None);
        network.Step(TimeSpan.FromMilliseconds(1));
        var sent = Assert.Single(raw.Take()).Header.SequenceNumber;

        // A forged ACK of the last queued packet: taken, it would free the first without its having arrived.
        session.Send(UtpPacketType.State, (ushort)(sent + 2));
        network.Run(TimeSpan.FromSeconds(1.2));
        var next = raw.Take();
        Assert.Contains(next, p => p.Header.SequenceNumber == sent);
        Assert.DoesNotContain(next, p => p.Header.SequenceNumber != sent);
        Assert.Equal(1, connection.Retransmissions);
    }

    [Fact]
    public async Task A_peer_sending_far_ahead_or_past_the_window_cannot_make_us_hold_more_than_the_window_and_slack()
    {
        const int window = 64 * 1024;
        const int slack = 64 * 1024;
        await using var network = new UtpTestNetwork { Logging = false };
        var ours = network.AddSocket(new UtpOptions { ReceiveWindow = window });
        ours.StartAccepting();
        var accepting = ours.AcceptAsync(CancellationToken.None);
        var raw = network.AddRaw();

        // The forged peer opens a connection (SYN, then its first data) and advertises a huge window.
        raw.Send(ours.LocalEndPoint, new UtpHeader(UtpPacketType.Syn, 100, 1, 0, uint.MaxValue, 1, 0));
        network.Step(TimeSpan.FromMilliseconds(1));
        var answer = Assert.Single(raw.Take());
        var session = new RawSession(network, raw, ours.LocalEndPoint, 101, 2) { Window = uint.MaxValue };
        var ackNumber = (ushort)(answer.Header.SequenceNumber - 1);
        session.Send(UtpPacketType.Data, ackNumber, payload: [1]);
        var connection = await UtpTestApp.StepUntilAsync(network, accepting);

        // Packets 2 to 1,024 ahead of the next expected one (which never comes), each as large as a datagram allows,
        // then packets far ahead: what is held stays within the window and the slack.
        var payload = new byte[60_000];
        for (var ahead = 2; ahead < 1100; ahead++)
        {
            session.Send(UtpPacketType.Data, ackNumber, payload: payload.AsSpan(0, ahead % 2 == 0 ? 1380 : 60_000), sequence: (ushort)(2 + ahead));
            network.Step(TimeSpan.FromMilliseconds(1));
            Assert.InRange(connection.ReceivedBytesHeld, 0, window + slack);
        }

        for (var far = 0; far < 200; far++)
        {
            session.Send(UtpPacketType.Data, ackNumber, payload: payload, sequence: (ushort)(2 + 1024 + (far * 97)));
        }

        network.Step(TimeSpan.FromMilliseconds(1));
        Assert.InRange(connection.ReceivedBytesHeld, 0, window + slack);

        // In order now, nobody reading: the in-order stream stops at the window and the slack too.
        for (var next = 0; next < 200; next++)
        {
            session.Send(UtpPacketType.Data, ackNumber, payload: payload, sequence: (ushort)(3 + next));
            network.Step(TimeSpan.FromMilliseconds(1));
            Assert.InRange(connection.ReceivedBytesHeld, 0, window + slack);
        }

        // And we told the peer the window is closed.
        var acks = raw.Take().Where(p => p.Header.Type == UtpPacketType.State).ToList();
        Assert.Equal(0u, acks[^1].Header.WindowSize);
    }

    private static void SendStrays(UtpTestNetwork.RawEndpoint from, UtpSocket to, int count, int connectionBase)
    {
        for (var i = 0; i < count; i++)
        {
            from.Send(to.LocalEndPoint, new UtpHeader(UtpPacketType.Data, (ushort)(connectionBase + i), 1, 0, 1 << 20, 7, 3), payload: [1, 2, 3]);
        }
    }

    private static bool IsSyn(byte[] datagram)
    {
        try
        {
            return UtpCodec.Read(datagram).Header.Type == UtpPacketType.Syn;
        }
        catch (UtpFormatException)
        {
            return false;
        }
    }

    private static IPEndPoint Stranger(DeterministicRandomSource random) =>
        new(new IPAddress([10, 9, (byte)random.NextInt(4), (byte)random.NextInt(64)]), 1000 + random.NextInt(4));

    private static byte[] RandomBytes(DeterministicRandomSource random)
    {
        var bytes = new byte[random.NextInt(80)];
        random.Fill(bytes);
        if (bytes.Length > 0 && random.NextInt(2) == 0)
        {
            bytes[0] = (byte)((random.NextInt(5) << 4) | UtpCodec.Version);
        }

        return bytes;
    }

    // A well-formed packet of any type (with a selective ACK and a payload at times), then a few bytes changed.
    private static byte[] MutatedPacket(DeterministicRandomSource random, ushort? connectionId = null)
    {
        var fields = new byte[18];
        random.Fill(fields);
        var header = new UtpHeader(
            (UtpPacketType)random.NextInt(5),
            connectionId ?? BitConverter.ToUInt16(fields, 0),
            BitConverter.ToUInt32(fields, 2),
            BitConverter.ToUInt32(fields, 6),
            BitConverter.ToUInt32(fields, 10),
            BitConverter.ToUInt16(fields, 14),
            BitConverter.ToUInt16(fields, 16));
        var selectiveAck = new byte[random.NextInt(3) * 4];
        random.Fill(selectiveAck);
        var payload = new byte[random.NextInt(3) == 0 ? random.NextInt(1500) : 0];
        random.Fill(payload);
        var datagram = new byte[UtpCodec.Length(selectiveAck.Length, payload.Length)];
        UtpCodec.Write(datagram, header, selectiveAck, payload);
        for (var flips = random.NextInt(4); flips > 0; flips--)
        {
            datagram[random.NextInt(Math.Min(datagram.Length, 40))] ^= (byte)(1 + random.NextInt(255));
        }

        return datagram;
    }
}
