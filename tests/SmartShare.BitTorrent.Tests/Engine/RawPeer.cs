using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using SmartShare.BitTorrent.PeerWire;

namespace SmartShare.BitTorrent.Tests.Engine;

/// <summary>
/// A peer written by hand on a raw socket on 127.0.0.1: it does the 68-byte handshake itself and then sends whatever
/// bytes a test wants, well-formed or not.
/// </summary>
internal sealed class RawPeer : IAsyncDisposable
{
    private readonly Socket _socket;

    private RawPeer(Socket socket, Handshake remote)
    {
        _socket = socket;
        Remote = remote;
    }

    public Handshake Remote { get; }

    /// <summary>Our side of the connection, as the session sees the peer.</summary>
    public IPEndPoint LocalEndPoint => (IPEndPoint)_socket.LocalEndPoint!;

    /// <summary>Bytes received and not read yet.</summary>
    public int Available => _socket.Available;

    /// <param name="from">The loopback address to connect from (127.0.0.x); null for the system's choice.</param>
    /// <param name="receiveBufferSize">A small kernel receive buffer, for a peer that reads slowly or not at all.</param>
    public static async Task<RawPeer> ConnectAsync(
        IPEndPoint target, InfoHash infoHash, PeerCapabilities capabilities = PeerCapabilities.None, IPAddress? from = null, int? receiveBufferSize = null)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (receiveBufferSize is { } size)
            {
                socket.ReceiveBufferSize = size;
            }

            if (from is not null)
            {
                socket.Bind(new IPEndPoint(from, 0));
            }

            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, target.Port), timeout.Token);
            var ours = new byte[HandshakeCodec.Length];
            HandshakeCodec.Write(ours, new Handshake(infoHash, PeerId.Generate(SecureRandomSource.Instance), capabilities));
            await socket.SendAsync(ours, SocketFlags.None, timeout.Token);
            var theirs = new byte[HandshakeCodec.Length];
            if (!await ReceiveExactlyAsync(socket, theirs, timeout.Token))
            {
                throw new IOException("The session closed the connection before answering the handshake.");
            }

            if (!HandshakeCodec.TryRead(new System.Buffers.ReadOnlySequence<byte>(theirs), out var remote))
            {
                throw new InvalidOperationException("The session answered with something that is not a handshake.");
            }

            Assert.Equal(infoHash, remote.InfoHash);
            return new RawPeer(socket, remote);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public static byte[] Message(PeerMessageType type, params int[] integers)
    {
        var bytes = new byte[5 + (4 * integers.Length)];
        BinaryPrimitives.WriteInt32BigEndian(bytes, 1 + (4 * integers.Length));
        bytes[4] = (byte)type;
        for (var i = 0; i < integers.Length; i++)
        {
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(5 + (4 * i)), integers[i]);
        }

        return bytes;
    }

    public static byte[] Bitfield(ReadOnlySpan<byte> bits)
    {
        var bytes = new byte[5 + bits.Length];
        BinaryPrimitives.WriteInt32BigEndian(bytes, 1 + bits.Length);
        bytes[4] = (byte)PeerMessageType.Bitfield;
        bits.CopyTo(bytes.AsSpan(5));
        return bytes;
    }

    public static byte[] Extended(byte id, ReadOnlySpan<byte> payload)
    {
        var bytes = new byte[6 + payload.Length];
        BinaryPrimitives.WriteInt32BigEndian(bytes, 2 + payload.Length);
        bytes[4] = (byte)PeerMessageType.Extended;
        bytes[5] = id;
        payload.CopyTo(bytes.AsSpan(6));
        return bytes;
    }

    public static byte[] Piece(int index, int begin, ReadOnlySpan<byte> block)
    {
        var bytes = new byte[13 + block.Length];
        BinaryPrimitives.WriteInt32BigEndian(bytes, 9 + block.Length);
        bytes[4] = (byte)PeerMessageType.Piece;
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(5), index);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(9), begin);
        block.CopyTo(bytes.AsSpan(13));
        return bytes;
    }

    public async Task SendAsync(ReadOnlyMemory<byte> bytes)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await _socket.SendAsync(bytes, SocketFlags.None, timeout.Token);
    }

    /// <summary>The next message (type and payload after the type byte); null at EOF. A keep-alive is (KeepAlive, []).</summary>
    public async Task<(PeerMessageType Type, byte[] Payload)?> ReadAsync(CancellationToken cancellationToken)
    {
        var prefix = new byte[4];
        try
        {
            if (!await ReceiveExactlyAsync(_socket, prefix, cancellationToken))
            {
                return null;
            }

            var length = BinaryPrimitives.ReadInt32BigEndian(prefix);
            if (length == 0)
            {
                return (PeerMessageType.KeepAlive, []);
            }

            if (length is < 0 or > (1 << 20))
            {
                throw new InvalidOperationException($"The session sent a message of {length} bytes.");
            }

            var body = new byte[length];
            if (!await ReceiveExactlyAsync(_socket, body, cancellationToken))
            {
                return null;
            }

            return ((PeerMessageType)body[0], body[1..]);
        }
        catch (SocketException)
        {
            return null; // reset: the session dropped us
        }
    }

    /// <summary>Reads messages until one of <paramref name="type"/> arrives.</summary>
    public async Task<byte[]> ExpectAsync(PeerMessageType type, TimeSpan limit)
    {
        using var timeout = new CancellationTokenSource(limit);
        while (true)
        {
            var message = await ReadAsync(timeout.Token)
                ?? throw new InvalidOperationException($"The session closed the connection while a {type} was expected.");
            if (message.Type == type)
            {
                return message.Payload;
            }
        }
    }

    /// <summary>Reads and discards whatever arrives until the session closes the connection (EOF or reset).</summary>
    public async Task ExpectDroppedAsync(TimeSpan limit)
    {
        using var timeout = new CancellationTokenSource(limit);
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                int read;
                try
                {
                    read = await _socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
                }
                catch (SocketException)
                {
                    return;
                }

                if (read == 0)
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"The session did not drop the connection within {limit.TotalSeconds:0} s.");
        }
    }

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }

    private static async Task<bool> ReceiveExactlyAsync(Socket socket, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var done = 0;
        while (done < buffer.Length)
        {
            var read = await socket.ReceiveAsync(buffer[done..], SocketFlags.None, cancellationToken);
            if (read == 0)
            {
                return false;
            }

            done += read;
        }

        return true;
    }
}
