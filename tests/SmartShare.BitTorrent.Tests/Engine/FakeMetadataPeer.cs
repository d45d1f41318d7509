using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using SmartShare.BitTorrent.PeerWire;

namespace SmartShare.BitTorrent.Tests.Engine;

/// <summary>
/// A listener on 127.0.0.1 that answers like a peer with the metadata, but misbehaves as told: it lies (random bytes
/// of the right length), rejects every request, or does not offer ut_metadata at all. It may first send a PEX message.
/// </summary>
internal sealed class FakeMetadataPeer : IAsyncDisposable
{
    private const byte OurMetadataId = 7;
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly InfoHash _infoHash;
    private readonly int _size;
    private readonly Mode _mode;
    private readonly IPEndPoint? _pex;
    private readonly Task _accept;
    private int _requests;

    public FakeMetadataPeer(InfoHash infoHash, int size, Mode mode, IPEndPoint? pex = null)
    {
        _infoHash = infoHash;
        _size = size;
        _mode = mode;
        _pex = pex;
        _listener.Start();
        _accept = Task.Run(AcceptAsync);
    }

    public enum Mode
    {
        Lie,
        Reject,
        NoMetadata,
    }

    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndpoint;

    public int Requests => Volatile.Read(ref _requests);

    /// <summary>Completes when the first request arrives.</summary>
    public TaskCompletionSource FirstRequest { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when a connection ends.</summary>
    public TaskCompletionSource Disconnected { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _accept;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var socket = await _listener.AcceptSocketAsync(_stop.Token);
            _ = Task.Run(() => ServeAsync(socket));
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        using var _ = socket;
        var token = _stop.Token;
        try
        {
            var theirs = new byte[HandshakeCodec.Length];
            if (!await ReceiveAsync(socket, theirs, token))
            {
                return;
            }

            var ours = new byte[HandshakeCodec.Length];
            HandshakeCodec.Write(ours, new Handshake(_infoHash, PeerId.Generate(SecureRandomSource.Instance), PeerCapabilities.ExtensionProtocol));
            await socket.SendAsync(ours, SocketFlags.None, token);

            // Their extension handshake comes first: it says which ids to answer with.
            ExtensionHandshake? theirExtensions = null;
            while (true)
            {
                var message = await ReadAsync(socket, token);
                if (message is null)
                {
                    return;
                }

                var (type, payload) = message.Value;
                if (type == PeerMessageType.Extended && payload.Length > 0 && payload[0] == 0 && theirExtensions is null)
                {
                    theirExtensions = ExtensionHandshake.Decode(new ReadOnlySequence<byte>(payload, 1, payload.Length - 1));
                    if (_pex is not null && theirExtensions.Messages.TryGetValue("ut_pex", out var pexId))
                    {
                        var pex = new PexMessage([new PexPeer(_pex, PexPeerTraits.Seed)], []).Encode();
                        await socket.SendAsync(RawPeer.Extended(pexId, pex), SocketFlags.None, token);
                    }

                    var m = new Dictionary<string, byte>(StringComparer.Ordinal);
                    if (_mode != Mode.NoMetadata)
                    {
                        m["ut_metadata"] = OurMetadataId;
                    }

                    var handshake = new ExtensionHandshake(m, _size, "fake", null, null, null).Encode();
                    await socket.SendAsync(RawPeer.Extended(0, handshake), SocketFlags.None, token);
                    continue;
                }

                if (type == PeerMessageType.Extended && payload.Length > 0 && payload[0] == OurMetadataId && theirExtensions is not null)
                {
                    var request = MetadataMessage.Decode(new ReadOnlySequence<byte>(payload, 1, payload.Length - 1));
                    Interlocked.Increment(ref _requests);
                    FirstRequest.TrySetResult();
                    var answerId = theirExtensions.Messages["ut_metadata"];
                    var answer = _mode == Mode.Lie
                        ? MetadataMessage.EncodeData(request.Piece, _size, RandomNumberGenerator.GetBytes(MetadataMessage.PieceLength(request.Piece, _size)))
                        : MetadataMessage.EncodeReject(request.Piece);
                    await socket.SendAsync(RawPeer.Extended(answerId, answer), SocketFlags.None, token);
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException or PeerWireFormatException)
        {
        }
        finally
        {
            Disconnected.TrySetResult();
        }
    }

    private static async Task<(PeerMessageType Type, byte[] Payload)?> ReadAsync(Socket socket, CancellationToken token)
    {
        var prefix = new byte[4];
        if (!await ReceiveAsync(socket, prefix, token))
        {
            return null;
        }

        var length = BinaryPrimitives.ReadInt32BigEndian(prefix);
        if (length == 0)
        {
            return (PeerMessageType.KeepAlive, []);
        }

        var body = new byte[length];
        return await ReceiveAsync(socket, body, token) ? ((PeerMessageType)body[0], body[1..]) : null;
    }

    private static async Task<bool> ReceiveAsync(Socket socket, Memory<byte> buffer, CancellationToken token)
    {
        var done = 0;
        while (done < buffer.Length)
        {
            var read = await socket.ReceiveAsync(buffer[done..], SocketFlags.None, token);
            if (read == 0)
            {
                return false;
            }

            done += read;
        }

        return true;
    }
}
