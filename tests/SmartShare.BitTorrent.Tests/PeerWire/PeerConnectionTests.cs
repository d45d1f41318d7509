using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Time.Testing;
using SmartShare.BitTorrent.PeerWire;

namespace SmartShare.BitTorrent.Tests.PeerWire;

/// <summary>Peer connections over real loopback sockets.</summary>
public sealed class PeerConnectionTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    private static readonly InfoHash Torrent = InfoHash.Parse("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    private static readonly Handshake Alice = new(Torrent, PeerId.FromBytes("-SS0001-aliceaaaaaaa"u8), PeerCapabilities.Fast | PeerCapabilities.ExtensionProtocol);
    private static readonly Handshake Bob = new(Torrent, PeerId.FromBytes("-SS0001-bobbbbbbbbbb"u8), PeerCapabilities.Dht);

    // These tests pin down the plain BitTorrent wire; MSE has its own tests (Encryption/EncryptedPeerConnectionTests).
    private static readonly PeerConnectionOptions Plain = new() { Encryption = EncryptionMode.Disable };

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);

    public PeerConnectionTests()
    {
        _listener.Start();
    }

    private IPEndPoint ListenEndPoint => (IPEndPoint)_listener.LocalEndpoint;

    public void Dispose() => _listener.Stop();

    [Fact]
    public async Task Both_sides_learn_each_others_handshake_and_exchange_messages()
    {
        var (outgoing, incoming) = await ConnectPairAsync(Alice, Bob);
        await using var _ = outgoing;
        await using var __ = incoming;

        Assert.False(outgoing.IsIncoming);
        Assert.True(incoming.IsIncoming);
        Assert.Equal(Bob, outgoing.Remote);
        Assert.Equal(Alice, incoming.Remote);
        Assert.Equal(ListenEndPoint, outgoing.RemoteEndPoint);

        await outgoing.SendBitfieldAsync(new byte[] { 0xf0 }, default);
        await outgoing.SendAsync(PeerMessageType.Interested, default);
        await incoming.SendAsync(PeerMessageType.Unchoke, default);
        await incoming.SendIndexAsync(PeerMessageType.Have, 3, default);

        var bitfield = await incoming.ReadAsync(default).AsTask().WaitAsync(Patience);
        Assert.Equal(PeerMessageType.Bitfield, bitfield.Type);
        Assert.Equal([0xf0], bitfield.Payload.ToArray());
        Assert.Equal(PeerMessageType.Interested, (await incoming.ReadAsync(default).AsTask().WaitAsync(Patience)).Type);
        Assert.Equal(PeerMessageType.Unchoke, (await outgoing.ReadAsync(default).AsTask().WaitAsync(Patience)).Type);
        var have = await outgoing.ReadAsync(default).AsTask().WaitAsync(Patience);
        Assert.Equal((PeerMessageType.Have, 3), (have.Type, have.Index));
    }

    [Fact]
    public async Task Sends_every_kind_of_message()
    {
        var (outgoing, incoming) = await ConnectPairAsync(Alice, Bob);
        await using var _ = outgoing;
        await using var __ = incoming;
        var extensions = new ExtensionHandshake(new Dictionary<string, byte> { ["ut_metadata"] = 1 }, 1234, "test", 500, 6881, IPAddress.Loopback);

        await outgoing.SendAsync(PeerMessageType.KeepAlive, default);
        await outgoing.SendAsync(PeerMessageType.HaveAll, default);
        await outgoing.SendIndexAsync(PeerMessageType.AllowedFast, 9, default);
        await outgoing.SendBlockRequestAsync(PeerMessageType.Reject, 1, 2, 3, default);
        await outgoing.SendRequestsAsync(new[] { (0, 0, 16384), (0, 16384, 16384), (1, 0, 100) }, default);
        await outgoing.SendPortAsync(6881, default);
        await outgoing.SendExtendedAsync(0, extensions.Encode(), default);
        await outgoing.SendPieceAsync(4, 0, 3, new byte[] { 1, 2, 3 }, default);
        await outgoing.SendPieceAsync(4, 3, 2, (byte)7, static (span, value) => span.Fill(value), default);

        Assert.Equal(PeerMessageType.KeepAlive, (await ReadAsync(incoming)).Type);
        Assert.Equal(PeerMessageType.HaveAll, (await ReadAsync(incoming)).Type);
        var allowed = await ReadAsync(incoming);
        Assert.Equal((PeerMessageType.AllowedFast, 9), (allowed.Type, allowed.Index));
        var reject = await ReadAsync(incoming);
        Assert.Equal((PeerMessageType.Reject, 1, 2, 3), (reject.Type, reject.Index, reject.Begin, reject.Length));
        foreach (var (index, begin, length) in new[] { (0, 0, 16384), (0, 16384, 16384), (1, 0, 100) })
        {
            var request = await ReadAsync(incoming);
            Assert.Equal((PeerMessageType.Request, index, begin, length), (request.Type, request.Index, request.Begin, request.Length));
        }

        var port = await ReadAsync(incoming);
        Assert.Equal((PeerMessageType.Port, (ushort)6881), (port.Type, port.Port));
        var extended = await ReadAsync(incoming);
        Assert.Equal((PeerMessageType.Extended, (byte)0), (extended.Type, extended.ExtendedId));
        var decoded = ExtensionHandshake.Decode(extended.Payload);
        Assert.Equal(extensions with { Messages = decoded.Messages }, decoded);
        var piece = await ReadAsync(incoming);
        Assert.Equal([1, 2, 3], piece.Payload.ToArray());
        piece = await ReadAsync(incoming);
        Assert.Equal((4, 3, 2), (piece.Index, piece.Begin, piece.Length));
        Assert.Equal([7, 7], piece.Payload.ToArray());
        Assert.Equal(5, outgoing.BytesSent);
        Assert.Equal(5, incoming.BytesReceived);
    }

    [Fact]
    public async Task Streams_a_thousand_16_KiB_blocks_intact()
    {
        const int Count = 1000;
        const int BlockLength = 16 * 1024;
        var (outgoing, incoming) = await ConnectPairAsync(Alice, Bob);
        await using var _ = outgoing;
        await using var __ = incoming;

        var send = Task.Run(async () =>
        {
            var block = new byte[BlockLength];
            for (var i = 0; i < Count; i++)
            {
                FillBlock(block, i);
                await outgoing.SendPieceAsync(i, 0, BlockLength, block, default);
            }
        });

        var expected = new byte[BlockLength];
        for (var i = 0; i < Count; i++)
        {
            var piece = await ReadAsync(incoming);
            Assert.Equal((PeerMessageType.Piece, i, BlockLength), (piece.Type, piece.Index, piece.Length));
            FillBlock(expected, i);
            Assert.True(piece.Payload.ToArray().AsSpan().SequenceEqual(expected), $"Block {i} arrived changed.");
        }

        await send.WaitAsync(Patience);
        Assert.Equal((long)Count * BlockLength, incoming.BytesReceived);
        Assert.Equal((long)Count * BlockLength, outgoing.BytesSent);
    }

    [Fact]
    public async Task Concurrent_senders_never_interleave_their_bytes()
    {
        const int Senders = 8;
        const int PerSender = 200;
        var (outgoing, incoming) = await ConnectPairAsync(Alice, Bob);
        await using var _ = outgoing;
        await using var __ = incoming;

        var senders = Enumerable.Range(0, Senders).Select(sender => Task.Run(async () =>
        {
            var block = new byte[1000 + (sender * 1000)];
            Array.Fill(block, (byte)sender);
            for (var i = 0; i < PerSender; i++)
            {
                await outgoing.SendPieceAsync(sender, i, block.Length, block, default);
                await outgoing.SendBlockRequestAsync(PeerMessageType.Request, sender, i, 16384, default);
            }
        })).ToArray();

        var nextPiece = new int[Senders];
        var nextRequest = new int[Senders];
        for (var received = 0; received < Senders * PerSender * 2; received++)
        {
            var message = await ReadAsync(incoming);
            if (message.Type == PeerMessageType.Piece)
            {
                Assert.Equal(nextPiece[message.Index]++, message.Begin);
                Assert.Equal(1000 + (message.Index * 1000), message.Length);
                var sender = (byte)message.Index;
                Assert.True(message.Payload.ToArray().All(b => b == sender), $"A block of sender {sender} holds another sender's bytes.");
            }
            else
            {
                Assert.Equal(PeerMessageType.Request, message.Type);
                Assert.Equal(nextRequest[message.Index]++, message.Begin);
            }
        }

        await Task.WhenAll(senders).WaitAsync(Patience);
    }

    [Fact]
    public async Task Detects_a_connection_to_itself()
    {
        var peer = Task.Run(async () =>
        {
            using var socket = await _listener.AcceptSocketAsync();
            var theirs = await ReceiveExactlyAsync(socket, HandshakeCodec.Length);
            await socket.SendAsync(theirs);
            await DrainUntilClosedAsync(socket);
        });

        var error = await Assert.ThrowsAsync<PeerConnectionException>(() => PeerConnection.ConnectAsync(ListenEndPoint, Alice, Plain, default));
        Assert.Equal(PeerConnectionErrorKind.SelfConnection, error.Kind);
        await peer.WaitAsync(Patience);
    }

    [Fact]
    public async Task An_incoming_connection_from_our_own_id_is_refused()
    {
        var dial = PeerConnection.ConnectAsync(ListenEndPoint, Alice, Plain, default);
        using var accepted = await _listener.AcceptSocketAsync();
        var (incoming, remote) = await PeerConnection.ReadIncomingHandshakeAsync(accepted, Plain, default).WaitAsync(Patience);
        await using var _ = incoming;

        Assert.Equal(Alice, remote);
        var error = await Assert.ThrowsAsync<PeerConnectionException>(() => incoming.AcceptAsync(Alice, default));
        Assert.Equal(PeerConnectionErrorKind.SelfConnection, error.Kind);
        await incoming.DisposeAsync();
        // The refusal still answers with our handshake, so the dialing side learns it dialed itself.
        var dialError = await Assert.ThrowsAsync<PeerConnectionException>(() => dial.WaitAsync(Patience));
        Assert.Equal(PeerConnectionErrorKind.SelfConnection, dialError.Kind);
    }

    [Fact]
    public async Task Refuses_a_peer_answering_for_another_torrent()
    {
        var peer = Task.Run(async () =>
        {
            using var socket = await _listener.AcceptSocketAsync();
            await ReceiveExactlyAsync(socket, HandshakeCodec.Length);
            var answer = new byte[HandshakeCodec.Length];
            HandshakeCodec.Write(answer, Bob with { InfoHash = InfoHash.Parse("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb") });
            await socket.SendAsync(answer);
            await DrainUntilClosedAsync(socket);
        });

        var error = await Assert.ThrowsAsync<PeerConnectionException>(() => PeerConnection.ConnectAsync(ListenEndPoint, Alice, Plain, default));
        Assert.Equal(PeerConnectionErrorKind.WrongInfoHash, error.Kind);
        await peer.WaitAsync(Patience);
    }

    [Fact]
    public async Task Refuses_a_peer_that_does_not_speak_bittorrent()
    {
        var peer = Task.Run(async () =>
        {
            using var socket = await _listener.AcceptSocketAsync();
            await socket.SendAsync("HTTP/1.1 400 Bad Request\r\n\r\n"u8.ToArray());
            await DrainUntilClosedAsync(socket);
        });

        var error = await Assert.ThrowsAsync<PeerConnectionException>(() => PeerConnection.ConnectAsync(ListenEndPoint, Alice, Plain, default));
        Assert.Equal(PeerConnectionErrorKind.HandshakeFailed, error.Kind);
        await peer.WaitAsync(Patience);
    }

    [Fact]
    public async Task A_silent_peer_times_the_handshake_out()
    {
        var peer = Task.Run(async () =>
        {
            using var socket = await _listener.AcceptSocketAsync();
            await DrainUntilClosedAsync(socket);
        });
        var time = new FakeTimeProvider();
        var options = new PeerConnectionOptions { Encryption = EncryptionMode.Disable, Time = time };

        // The default 10 s handshake limit runs on the fake clock: it takes 10 s of it, and no real time.
        var connecting = PeerConnection.ConnectAsync(ListenEndPoint, Alice, options, default);
        var waited = await time.AdvanceUntilAsync(connecting, TimeSpan.FromSeconds(1));
        var error = await Assert.ThrowsAsync<PeerConnectionException>(() => connecting);
        Assert.Equal(PeerConnectionErrorKind.TimedOut, error.Kind);
        Assert.InRange(waited, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(15));
        await peer.WaitAsync(Patience);
    }

    [Fact]
    public async Task Reports_a_refused_dial_as_connect_failed()
    {
        var closed = new TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        var endPoint = (IPEndPoint)closed.LocalEndpoint;
        closed.Stop();

        var error = await Assert.ThrowsAsync<PeerConnectionException>(() => PeerConnection.ConnectAsync(endPoint, Alice, Plain, default).WaitAsync(Patience));
        Assert.Equal(PeerConnectionErrorKind.ConnectFailed, error.Kind);
    }

    [Fact]
    public async Task A_2_GiB_length_prefix_is_a_protocol_violation_and_ends_the_connection()
    {
        var peerSawClose = new TaskCompletionSource();
        var peer = Task.Run(async () =>
        {
            using var socket = await _listener.AcceptSocketAsync();
            await ReceiveExactlyAsync(socket, HandshakeCodec.Length);
            var answer = new byte[HandshakeCodec.Length + 5];
            HandshakeCodec.Write(answer, Bob);
            BinaryPrimitives.WriteUInt32BigEndian(answer.AsSpan(HandshakeCodec.Length), 0x8000_0000);
            answer[^1] = 7;
            await socket.SendAsync(answer);
            await DrainUntilClosedAsync(socket);
            peerSawClose.SetResult();
        });

        var connection = await PeerConnection.ConnectAsync(ListenEndPoint, Alice, Plain, default).WaitAsync(Patience);
        var error = await Assert.ThrowsAsync<PeerConnectionException>(() => connection.ReadAsync(default).AsTask().WaitAsync(Patience));
        Assert.Equal(PeerConnectionErrorKind.ProtocolViolation, error.Kind);
        Assert.IsType<PeerWireFormatException>(error.InnerException);
        Assert.Contains("2147483648", error.Message, StringComparison.Ordinal);

        await connection.DisposeAsync();
        await peerSawClose.Task.WaitAsync(Patience);
        await peer.WaitAsync(Patience);
    }

    [Fact]
    public async Task A_read_times_out_when_nothing_arrives()
    {
        var time = new FakeTimeProvider();
        var options = new PeerConnectionOptions { Encryption = EncryptionMode.Disable, Time = time };
        var (outgoing, incoming) = await ConnectPairAsync(Alice, Bob, options);
        await using var _ = outgoing;
        await using var __ = incoming;

        // A keep-alive resets the clock; then nothing comes for the default 120 s of fake time.
        await incoming.SendAsync(PeerMessageType.KeepAlive, default);
        time.Advance(TimeSpan.FromSeconds(100));
        Assert.Equal(PeerMessageType.KeepAlive, (await ReadAsync(outgoing)).Type);
        var reading = outgoing.ReadAsync(default).AsTask();
        var waited = await time.AdvanceUntilAsync(reading, TimeSpan.FromSeconds(5));
        var error = await Assert.ThrowsAsync<PeerConnectionException>(() => reading);
        Assert.Equal(PeerConnectionErrorKind.TimedOut, error.Kind);
        Assert.Contains("sent nothing for 120 s", error.Message, StringComparison.Ordinal);
        Assert.InRange(waited, TimeSpan.FromSeconds(120), TimeSpan.FromSeconds(150));
    }

    [Fact]
    public async Task The_peer_closing_cleanly_ends_reads_with_closed()
    {
        var (outgoing, incoming) = await ConnectPairAsync(Alice, Bob);
        await using var _ = outgoing;

        await incoming.SendIndexAsync(PeerMessageType.Have, 1, default);
        await incoming.DisposeAsync();

        Assert.Equal(PeerMessageType.Have, (await ReadAsync(outgoing)).Type);
        var error = await Assert.ThrowsAsync<PeerConnectionException>(() => outgoing.ReadAsync(default).AsTask().WaitAsync(Patience));
        Assert.Equal(PeerConnectionErrorKind.Closed, error.Kind);
    }

    [Fact]
    public async Task Disposing_ends_a_pending_read_and_later_sends_with_closed()
    {
        var (outgoing, incoming) = await ConnectPairAsync(Alice, Bob);
        await using var _ = incoming;

        var read = outgoing.ReadAsync(default).AsTask();
        await outgoing.DisposeAsync();

        var error = await Assert.ThrowsAsync<PeerConnectionException>(() => read.WaitAsync(Patience));
        Assert.Equal(PeerConnectionErrorKind.Closed, error.Kind);
        error = await Assert.ThrowsAsync<PeerConnectionException>(() => outgoing.SendAsync(PeerMessageType.Choke, default).AsTask());
        Assert.Equal(PeerConnectionErrorKind.Closed, error.Kind);
        error = await Assert.ThrowsAsync<PeerConnectionException>(() => outgoing.ReadAsync(default).AsTask());
        Assert.Equal(PeerConnectionErrorKind.Closed, error.Kind);
    }

    [Fact]
    public async Task Cancelling_a_send_stuck_on_a_peer_that_does_not_read_closes_the_connection()
    {
        var (outgoing, incoming) = await ConnectPairAsync(Alice, Bob);
        await using var _ = outgoing;
        await using var __ = incoming;
        using var cancel = new CancellationTokenSource();
        var block = new byte[16 * 1024];

        // The peer reads nothing, so once the kernel's buffers are full a send stays pending.
        ValueTask pending = default;
        for (var i = 0; i < 100_000; i++)
        {
            pending = outgoing.SendPieceAsync(0, 0, block.Length, block, cancel.Token);
            if (!pending.IsCompleted)
            {
                break;
            }

            await pending;
        }

        Assert.False(pending.IsCompleted);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending.AsTask().WaitAsync(Patience));
        var error = await Assert.ThrowsAsync<PeerConnectionException>(() => RetryUntilClosedAsync(outgoing));
        Assert.Equal(PeerConnectionErrorKind.Closed, error.Kind);
    }

    private static async Task<PeerMessage> ReadAsync(PeerConnection connection) =>
        await connection.ReadAsync(default).AsTask().WaitAsync(Patience);

    private static async Task RetryUntilClosedAsync(PeerConnection connection)
    {
        // The connection closes itself in the background after the cancelled send lets go of the send lock.
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < Patience)
        {
            await connection.SendAsync(PeerMessageType.KeepAlive, default).AsTask().WaitAsync(Patience);
            await Task.Yield();
        }
    }

    private static void FillBlock(byte[] block, int seed)
    {
        for (var i = 0; i < block.Length; i += 4)
        {
            BinaryPrimitives.WriteInt32LittleEndian(block.AsSpan(i), (seed * 7919) + i);
        }
    }

    private static async Task<byte[]> ReceiveExactlyAsync(Socket socket, int length)
    {
        var bytes = new byte[length];
        var received = 0;
        while (received < length)
        {
            var read = await socket.ReceiveAsync(bytes.AsMemory(received));
            if (read == 0)
            {
                throw new IOException("The connection closed early.");
            }

            received += read;
        }

        return bytes;
    }

    private static async Task DrainUntilClosedAsync(Socket socket)
    {
        var buffer = new byte[4096];
        try
        {
            while (await socket.ReceiveAsync(buffer).WaitAsync(Patience) > 0)
            {
            }
        }
        catch (SocketException)
        {
            // A reset is a close too.
        }
    }

    private async Task<(PeerConnection Outgoing, PeerConnection Incoming)> ConnectPairAsync(Handshake dialer, Handshake listener, PeerConnectionOptions? options = null)
    {
        options ??= Plain;
        var dial = PeerConnection.ConnectAsync(ListenEndPoint, dialer, options, default);
        var socket = await _listener.AcceptSocketAsync().WaitAsync(Patience);
        var (incoming, remote) = await PeerConnection.ReadIncomingHandshakeAsync(socket, options, default).WaitAsync(Patience);
        Assert.Equal(dialer, remote);
        await incoming.AcceptAsync(listener, default).WaitAsync(Patience);
        return (await dial.WaitAsync(Patience), incoming);
    }
}
