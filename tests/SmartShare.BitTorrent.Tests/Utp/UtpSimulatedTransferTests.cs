using SmartShare.BitTorrent.Utp;
using Xunit.Abstractions;

namespace SmartShare.BitTorrent.Tests.Utp;

/// <summary>
/// Two of our uTP sockets over the simulated network under a fake clock: transfers across bad links, the receive
/// window closing and opening, LEDBAT against a bottleneck queue, and the two ways a connection ends.
/// </summary>
public sealed class UtpSimulatedTransferTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task Three_mebibytes_cross_a_link_with_loss_reordering_duplicates_and_delay_intact()
    {
        await using var network = new UtpTestNetwork(seed: 20);
        var a = network.AddSocket();
        var b = network.AddSocket();
        network.Configure(a.LocalEndPoint, b.LocalEndPoint, link =>
        {
            link.Delay = TimeSpan.FromMilliseconds(50);
            link.Loss = 0.01;
            link.Reorder = 0.05;
            link.ReorderJitter = TimeSpan.FromMilliseconds(30);
            link.Duplicate = 0.01;
        });
        var (client, server) = await UtpTestApp.ConnectAsync(network, a, b);

        var up = UtpTestApp.Pattern(3 << 20, seed: 1);
        var down = UtpTestApp.Pattern(1 << 20, seed: 2);
        var start = network.Time.GetUtcNow();
        client.Send(up);
        server.Send(down);
        Assert.True(
            UtpTestApp.RunUntil(network, () => server.ReceivedCount == up.Length && client.ReceivedCount == down.Length, Limit, client, server),
            $"stalled: {server.ReceivedCount} of {up.Length} up, {client.ReceivedCount} of {down.Length} down");
        output.WriteLine($"3 MiB up + 1 MiB down in {network.Time.GetUtcNow() - start:g} simulated; resent {client.Connection.Retransmissions} up, {server.Connection.Retransmissions} down; window {client.Connection.CongestionWindow}");
        Assert.True(up.AsSpan().SequenceEqual(server.Received));
        Assert.True(down.AsSpan().SequenceEqual(client.Received));

        // The link lost packets both ways, and both ends sent them again.
        Assert.True(client.Connection.Retransmissions > 0 && server.Connection.Retransmissions > 0);
        var link = network.Link(a.LocalEndPoint, b.LocalEndPoint);
        Assert.True(link.Dropped > 10, $"only {link.Dropped} dropped");
    }

    [Fact]
    public async Task Jitter_that_reorders_bursts_costs_neither_the_window_nor_needless_resends()
    {
        // The lossy lab link of the NetworkFaults tests: 50 ms each way, 1 % loss, every frame held up to 3 ms more,
        // which reorders packets sent back to back. Read as loss, that reordering resent 3-4 packets per real loss and
        // halved the window each time: 4 MiB took 28-32 s (simulated) before resends learned to wait.
        await using var network = new UtpTestNetwork(seed: 1);
        network.Logging = false;
        var a = network.AddSocket();
        var b = network.AddSocket();
        network.Configure(a.LocalEndPoint, b.LocalEndPoint, link =>
        {
            link.Delay = TimeSpan.FromMilliseconds(50);
            link.Loss = 0.01;
            link.Reorder = 1;
            link.ReorderJitter = TimeSpan.FromMilliseconds(3);
        });
        var (client, server) = await UtpTestApp.ConnectAsync(network, a, b);
        var up = UtpTestApp.Pattern(4 << 20, seed: 3);
        var start = network.Time.GetUtcNow();
        client.Send(up);
        Assert.True(UtpTestApp.RunUntil(network, () => server.ReceivedCount == up.Length, Limit, client, server), client.Connection.Describe());
        var took = network.Time.GetUtcNow() - start;
        var dropped = network.Link(a.LocalEndPoint, b.LocalEndPoint).Dropped;
        output.WriteLine($"4 MiB in {took.TotalSeconds:0.0} s simulated; {dropped} dropped; {client.Connection.Describe()}");
        Assert.True(up.AsSpan().SequenceEqual(server.Received));
        Assert.True(client.Connection.SpuriousResends >= 1, "no resend was found needless: the link did not reorder");
        Assert.True(client.Connection.Retransmissions <= (2 * dropped) + 5, $"{client.Connection.Retransmissions} resent for {dropped} lost");
        Assert.True(took < TimeSpan.FromSeconds(20), $"4 MiB took {took.TotalSeconds:0.0} s simulated");
    }

    [Fact]
    public async Task Sequence_numbers_wrapping_past_65535_mid_transfer_lose_nothing()
    {
        // Both ends draw every connection id and first sequence number as 0xFFA0: the 16-bit counters wrap after
        // 95 packets, with loss and reordering around the wrap.
        await using var network = new UtpTestNetwork(seed: 16);
        var a = network.AddSocket(random: new FixedRandom(0xFF, 0xA0));
        var b = network.AddSocket(random: new FixedRandom(0xFF, 0xA0));
        network.Configure(a.LocalEndPoint, b.LocalEndPoint, link =>
        {
            link.Delay = TimeSpan.FromMilliseconds(5);
            link.Loss = 0.03;
            link.Reorder = 0.1;
        });
        var (client, server) = await UtpTestApp.ConnectAsync(network, a, b);
        var up = UtpTestApp.Pattern(400 * 1380, seed: 6);
        var down = UtpTestApp.Pattern(300 * 1380, seed: 7);
        client.Send(up);
        server.Send(down);
        Assert.True(
            UtpTestApp.RunUntil(network, () => server.ReceivedCount == up.Length && client.ReceivedCount == down.Length, Limit, client, server),
            $"stalled: {server.ReceivedCount} of {up.Length} up, {client.ReceivedCount} of {down.Length} down");
        Assert.True(up.AsSpan().SequenceEqual(server.Received));
        Assert.True(down.AsSpan().SequenceEqual(client.Received));
        Assert.Contains(network.Log, d => d.Header is { Type: UtpPacketType.Data, SequenceNumber: < 100 });
    }

    [Fact]
    public async Task A_socket_ticks_only_while_it_has_a_connection()
    {
        await using var network = new UtpTestNetwork();
        var a = network.AddSocket();
        var b = network.AddSocket();
        network.Run(TimeSpan.FromSeconds(1));
        Assert.Equal(0, network.Time.PeriodicTimers);

        var (client, server) = await UtpTestApp.ConnectAsync(network, a, b);
        Assert.Equal(2, network.Time.PeriodicTimers);
        client.Connection.Close();
        server.Connection.Close();
        Assert.True(UtpTestApp.RunUntil(network, () => a.ConnectionCount + b.ConnectionCount == 0, TimeSpan.FromSeconds(10), client, server));
        network.Step(a.Options.TickInterval);
        Assert.Equal(0, network.Time.PeriodicTimers);

        // Another connection ticks again: its data crosses a lossy link only by the tick's resends.
        network.Configure(a.LocalEndPoint, b.LocalEndPoint, link => link.Drop = (header, _) => header.Type == UtpPacketType.Data && link.Dropped < 3);
        (client, server) = await UtpTestApp.ConnectAsync(network, a, b);
        Assert.Equal(2, network.Time.PeriodicTimers);
        client.Send(new byte[] { 1, 2, 3 });
        Assert.True(UtpTestApp.RunUntil(network, () => server.ReceivedCount == 3, TimeSpan.FromSeconds(20), client, server));
    }

    [Fact]
    public async Task A_lost_answer_to_the_syn_is_sent_again_when_the_syn_is()
    {
        await using var network = new UtpTestNetwork();
        var a = network.AddSocket();
        var b = network.AddSocket();
        var link = network.Link(b.LocalEndPoint, a.LocalEndPoint);
        link.Drop = (header, _) => header.Type == UtpPacketType.State && link.Dropped == 0;
        var (client, server) = await UtpTestApp.ConnectAsync(network, a, b);
        Assert.Equal(1, link.Dropped);
        Assert.Equal(2, network.Log.Count(d => d.Header is { Type: UtpPacketType.Syn }));
        Assert.Equal(1, b.ConnectionCount);
        client.Send(new byte[] { 1, 2, 3 });
        Assert.True(UtpTestApp.RunUntil(network, () => server.ReceivedCount == 3, TimeSpan.FromSeconds(5), client, server));
    }

    [Fact]
    public async Task A_write_larger_than_the_send_buffer_waits_for_acks_and_completes()
    {
        await using var network = new UtpTestNetwork();
        var a = network.AddSocket(new UtpOptions { SendBuffer = 32 * 1024 });
        var b = network.AddSocket();
        network.Configure(a.LocalEndPoint, b.LocalEndPoint, link => link.Delay = TimeSpan.FromMilliseconds(10));
        var (client, server) = await UtpTestApp.ConnectAsync(network, a, b);
        var data = UtpTestApp.Pattern(512 * 1024, seed: 9);

        // One write through the stream: it queues what the buffer holds and waits for ACKs to free room.
        var writing = client.Connection.Stream.WriteAsync(data).AsTask();
        network.Run(TimeSpan.FromMilliseconds(5));
        Assert.False(writing.IsCompleted);
        Assert.Equal(0, client.Connection.WritableBytes);
        await UtpTestApp.StepUntilAsync(network, writing);
        Assert.True(UtpTestApp.RunUntil(network, () => server.ReceivedCount == data.Length, TimeSpan.FromSeconds(30), server));
        Assert.True(data.AsSpan().SequenceEqual(server.Received));

        // A write waiting when the connection closes fails rather than hangs.
        var blocked = client.Connection.Stream.WriteAsync(data).AsTask();
        client.Connection.Close();
        await Assert.ThrowsAsync<IOException>(() => blocked.WaitAsync(UtpTestApp.RealTimeLimit));
    }

    [Fact]
    public async Task A_reader_that_stops_closes_the_window_the_sender_stops_and_resumes_when_reading_does()
    {
        await using var network = new UtpTestNetwork();
        var window = 64 * 1024;
        var a = network.AddSocket();
        var b = network.AddSocket(new UtpOptions { ReceiveWindow = window });
        network.Configure(a.LocalEndPoint, b.LocalEndPoint, link => link.Delay = TimeSpan.FromMilliseconds(10));
        var (client, server) = await UtpTestApp.ConnectAsync(network, a, b);
        var data = UtpTestApp.Pattern(1 << 20, seed: 3);
        client.Send(data);
        server.Paused = true;

        // The receiver holds at most its window (plus the slack for a probe); the sender stops sending data.
        UtpTestApp.RunUntil(network, () => false, TimeSpan.FromSeconds(2), client, server);
        var held = server.Connection.ReceivedBytesHeld;
        output.WriteLine($"held {held} B with the reader stopped");
        Assert.InRange(held, window - a.Options.MaxPayload, window + (64 * 1024));
        var dataSent = DataPackets(network, a);
        UtpTestApp.RunUntil(network, () => false, TimeSpan.FromSeconds(3), client, server);

        // Over three seconds of a closed window only zero-window probes (about one a second) went out.
        output.WriteLine($"{DataPackets(network, a) - dataSent} data packets in 3 s of a closed window");
        Assert.InRange(DataPackets(network, a) - dataSent, 1, 4);
        Assert.True(server.Connection.ReceivedBytesHeld <= window + (64 * 1024));

        // The window-update ACK that reading sends is lost: the sender's next probe finds the window open.
        var dropUpdate = true;
        network.Link(b.LocalEndPoint, a.LocalEndPoint).Drop = (header, _) =>
        {
            if (dropUpdate && header.Type == UtpPacketType.State && header.WindowSize >= a.Options.MaxPayload)
            {
                dropUpdate = false;
                return true;
            }

            return false;
        };
        server.Paused = false;
        Assert.True(
            UtpTestApp.RunUntil(network, () => server.ReceivedCount == data.Length, TimeSpan.FromSeconds(30), client, server),
            $"stalled at {server.ReceivedCount} of {data.Length}");
        Assert.False(dropUpdate);
        Assert.True(data.AsSpan().SequenceEqual(server.Received));
    }

    [Fact]
    public async Task A_reader_stalled_for_two_minutes_keeps_the_connection_and_the_transfer_resumes()
    {
        await using var network = new UtpTestNetwork { Logging = false };
        var window = 64 * 1024;
        var a = network.AddSocket();
        var b = network.AddSocket(new UtpOptions { ReceiveWindow = window });
        network.Configure(a.LocalEndPoint, b.LocalEndPoint, link => link.Delay = TimeSpan.FromMilliseconds(10));
        var (client, server) = await UtpTestApp.ConnectAsync(network, a, b);
        var data = UtpTestApp.Pattern(512 * 1024, seed: 5);
        client.Send(data);
        server.Paused = true;

        // Zero-window probes go on for as long as the peer answers them: the connection must not time out.
        network.Run(TimeSpan.FromMinutes(2), () => client.Pump(), TimeSpan.FromMilliseconds(5));
        Assert.Equal(UtpConnectionState.Connected, client.Connection.State);
        Assert.True(server.Connection.ReceivedBytesHeld <= window + (64 * 1024));
        server.Paused = false;
        var resumed = network.Time.GetUtcNow();
        Assert.True(
            UtpTestApp.RunUntil(network, () => server.ReceivedCount == data.Length, TimeSpan.FromSeconds(30), client, server),
            $"stalled at {server.ReceivedCount} of {data.Length}");
        output.WriteLine($"after a 2 min stall, 512 KiB arrived {network.Time.GetUtcNow() - resumed:g} after reading resumed; {client.Connection.Retransmissions} resent");
        Assert.True(network.Time.GetUtcNow() - resumed < TimeSpan.FromSeconds(5), "the transfer resumed only after a backed-off timeout");
        Assert.True(data.AsSpan().SequenceEqual(server.Received));
    }

    [Fact]
    public async Task A_peer_that_vanishes_while_its_window_is_closed_is_given_up()
    {
        await using var network = new UtpTestNetwork { Logging = false };
        var a = network.AddSocket();
        var b = network.AddSocket(new UtpOptions { ReceiveWindow = 64 * 1024 });
        network.Configure(a.LocalEndPoint, b.LocalEndPoint, link => link.Delay = TimeSpan.FromMilliseconds(10));
        var (client, server) = await UtpTestApp.ConnectAsync(network, a, b);
        client.Send(new byte[1 << 20]);
        server.Paused = true;
        network.Run(TimeSpan.FromSeconds(5), () => client.Pump(), TimeSpan.FromMilliseconds(5));

        // The peer goes silent: the probes go unanswered, and the timeouts end the connection.
        network.Link(b.LocalEndPoint, a.LocalEndPoint).Loss = 1;
        Assert.True(network.RunUntil(() => client.Connection.State == UtpConnectionState.Closed, TimeSpan.FromSeconds(90), step: TimeSpan.FromMilliseconds(5)));
        var error = await Assert.ThrowsAsync<IOException>(() => client.Connection.WriteAsync(new byte[1], CancellationToken.None).AsTask());
        Assert.Contains("timed out", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ledbat_keeps_a_bottleneck_queue_near_the_target_delay_and_grows_when_the_link_gets_faster()
    {
        await using var network = new UtpTestNetwork { Logging = false };
        var a = network.AddSocket(new UtpOptions { SendBuffer = 4 << 20 });

        // The two clocks are 50 minutes apart: every one-way delay sample is off by more than 2^31 microseconds,
        // so the delay arithmetic must wrap.
        network.Time.Advance(TimeSpan.FromMinutes(50));
        var b = network.AddSocket(new UtpOptions { ReceiveWindow = 8 << 20 });
        // The links are set before the handshake: its packets give the base delay LEDBAT measures from.
        network.Configure(a.LocalEndPoint, b.LocalEndPoint, link => link.Delay = TimeSpan.FromMilliseconds(20));
        var bottleneck = network.Link(a.LocalEndPoint, b.LocalEndPoint);
        bottleneck.RateBytesPerSecond = 500_000;
        bottleneck.QueueBytes = 2_000_000; // four seconds of queue: only the sender's restraint keeps it short
        var (client, server) = await UtpTestApp.ConnectAsync(network, a, b);
        server.CountOnly = true;
        client.Send(new byte[64 << 20]);

        UtpTestApp.RunUntil(network, () => false, TimeSpan.FromSeconds(20), client, server);
        var settledFrom = network.Time.GetUtcNow() - TimeSpan.FromSeconds(10);
        var settled = bottleneck.QueueDelays.Where(d => d.At >= settledFrom).Select(d => d.Wait.TotalMilliseconds).ToList();
        var received = server.ReceivedCount;
        var window = client.Connection.CongestionWindow;

        output.WriteLine($"500 kB/s: queuing delay mean {settled.Average():F0} ms, max {settled.Max():F0} ms, window {window} B, {received} B in 20 s");

        // The queue stays near the 100 ms target: not empty (the link is used) and not growing (a window led by
        // loss alone would fill the 4 s queue).
        Assert.InRange(settled.Average(), 70, 130);
        Assert.True(settled.Max() < 200, $"queuing delay reached {settled.Max()} ms");
        Assert.Equal(0, bottleneck.QueueDrops);

        // The link doubles: the queue drains below the target and the window grows to fill the faster link.
        bottleneck.RateBytesPerSecond = 1_000_000;
        UtpTestApp.RunUntil(network, () => false, TimeSpan.FromSeconds(15), client, server);
        var lastFiveSeconds = server.ReceivedCount;
        UtpTestApp.RunUntil(network, () => false, TimeSpan.FromSeconds(5), client, server);
        var rate = (server.ReceivedCount - lastFiveSeconds) / 5.0;
        output.WriteLine($"1 MB/s: {rate:F0} B/s, window {client.Connection.CongestionWindow} B, queuing delay mean {bottleneck.QueueDelays.Where(d => d.At >= network.Time.GetUtcNow() - TimeSpan.FromSeconds(5)).Average(d => d.Wait.TotalMilliseconds):F0} ms");
        Assert.True(client.Connection.CongestionWindow > window * 1.5, $"window {window} then {client.Connection.CongestionWindow}");
        Assert.True(rate > 800_000, $"{rate:F0} B/s on a 1 MB/s link");
        var recent = bottleneck.QueueDelays.Where(d => d.At >= network.Time.GetUtcNow() - TimeSpan.FromSeconds(5)).Select(d => d.Wait.TotalMilliseconds);
        Assert.InRange(recent.Average(), 50, 130);
        Assert.True(received > 0);
    }

    [Fact]
    public async Task Both_sides_closing_ends_both_streams_and_both_sockets_forget_the_connection()
    {
        await using var network = new UtpTestNetwork();
        var a = network.AddSocket();
        var b = network.AddSocket();
        network.Configure(a.LocalEndPoint, b.LocalEndPoint, link => link.Delay = TimeSpan.FromMilliseconds(30));
        var (client, server) = await UtpTestApp.ConnectAsync(network, a, b);
        var data = UtpTestApp.Pattern(200_000, seed: 4);
        client.Send(data);
        Assert.True(UtpTestApp.RunUntil(network, () => client.SendDone, Limit, client, server));

        // The client closes with data still in flight: it all arrives, then the end of the stream.
        client.Connection.Close();
        Assert.True(UtpTestApp.RunUntil(network, () => server.Ended, Limit, client, server));
        Assert.True(data.AsSpan().SequenceEqual(server.Received));
        await Assert.ThrowsAsync<IOException>(() => client.Connection.WriteAsync(new byte[1], CancellationToken.None).AsTask());

        server.Connection.Close();
        Assert.True(UtpTestApp.RunUntil(network, () => a.ConnectionCount + b.ConnectionCount == 0, TimeSpan.FromSeconds(10), client, server));
        Assert.Equal(UtpConnectionState.Closed, client.Connection.State);
        Assert.Equal(UtpConnectionState.Closed, server.Connection.State);

        // An orderly close: the first side waits for the second's FIN and acknowledges it; nobody sends a RESET.
        Assert.DoesNotContain(network.Log, d => d.Header is { Type: UtpPacketType.Reset });
        Assert.Equal(2, network.Log.Count(d => d.Header is { Type: UtpPacketType.Fin }));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Closing_over_a_link_losing_a_fifth_of_its_packets_still_delivers_everything_and_ends_both_sides(ulong seed)
    {
        await using var network = new UtpTestNetwork(seed);
        var a = network.AddSocket();
        var b = network.AddSocket();
        var (client, server) = await UtpTestApp.ConnectAsync(network, a, b);
        network.Configure(a.LocalEndPoint, b.LocalEndPoint, link =>
        {
            link.Delay = TimeSpan.FromMilliseconds(20);
            link.Loss = 0.2;
        });
        var data = UtpTestApp.Pattern(50_000, seed: 8);
        client.Send(data);
        Assert.True(UtpTestApp.RunUntil(network, () => client.SendDone, Limit, client, server));
        client.Connection.Close();
        Assert.True(UtpTestApp.RunUntil(network, () => server.Ended, Limit, client, server), $"{server.ReceivedCount} of {data.Length}, no end");
        Assert.True(data.AsSpan().SequenceEqual(server.Received));
        server.Connection.Close();
        Assert.True(
            UtpTestApp.RunUntil(network, () => a.ConnectionCount + b.ConnectionCount == 0, TimeSpan.FromMinutes(2), client, server),
            $"{a.ConnectionCount} + {b.ConnectionCount} connections left");
    }

    [Fact]
    public async Task An_idle_connection_sends_a_keep_alive_every_29_seconds()
    {
        await using var network = new UtpTestNetwork();
        var a = network.AddSocket();
        var b = network.AddSocket();
        var (client, server) = await UtpTestApp.ConnectAsync(network, a, b);
        network.Run(TimeSpan.FromSeconds(5));
        var since = network.Log.Count;
        network.Run(TimeSpan.FromSeconds(60), step: TimeSpan.FromMilliseconds(10));
        var fromA = network.Log.Skip(since).Where(d => d.From.Equals(a.LocalEndPoint)).ToList();
        Assert.InRange(fromA.Count, 2, 3);
        Assert.All(fromA, d => Assert.Equal(UtpPacketType.State, d.Header!.Value.Type));
        Assert.Equal(UtpConnectionState.Connected, client.Connection.State);
        Assert.Equal(UtpConnectionState.Connected, server.Connection.State);
    }

    [Fact]
    public async Task A_reset_from_the_peer_fails_reads_and_writes_with_an_error_naming_the_peer()
    {
        await using var network = new UtpTestNetwork();
        var a = network.AddSocket();
        var b = network.AddSocket();
        var (client, server) = await UtpTestApp.ConnectAsync(network, a, b);
        var reading = client.Connection.Stream.ReadAsync(new byte[16]).AsTask();

        // The server's socket closes: it resets its connections, and the client hears it.
        await b.DisposeAsync();
        network.Run(TimeSpan.FromMilliseconds(10));
        var readError = await Assert.ThrowsAsync<IOException>(() => reading.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains(b.LocalEndPoint.ToString(), readError.Message, StringComparison.Ordinal);
        Assert.Contains("reset", readError.Message, StringComparison.Ordinal);
        var writeError = await Assert.ThrowsAsync<IOException>(() => client.Connection.WriteAsync(new byte[10], CancellationToken.None).AsTask());
        Assert.Contains(b.LocalEndPoint.ToString(), writeError.Message, StringComparison.Ordinal);
        Assert.Equal(0, a.ConnectionCount);
        Assert.Equal(UtpConnectionState.Closed, server.Connection.State);
    }

    private static int DataPackets(UtpTestNetwork network, UtpSocket from) =>
        network.Log.Count(d => d.From.Equals(from.LocalEndPoint) && d.Header is { Type: UtpPacketType.Data });

    private sealed class FixedRandom(params byte[] pattern) : IRandomSource
    {
        public void Fill(Span<byte> destination)
        {
            for (var i = 0; i < destination.Length; i++)
            {
                destination[i] = pattern[i % pattern.Length];
            }
        }
    }
}
