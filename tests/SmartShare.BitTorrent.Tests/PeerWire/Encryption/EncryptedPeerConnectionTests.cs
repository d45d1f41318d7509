using System.Buffers;
using System.Net;
using System.Net.Sockets;
using SmartShare.BitTorrent.PeerWire;
using SmartShare.BitTorrent.PeerWire.Encryption;

namespace SmartShare.BitTorrent.Tests.PeerWire.Encryption;

/// <summary>Peer connections whose handshake goes through MSE, over real loopback sockets, for each pair of modes.</summary>
public sealed class EncryptedPeerConnectionTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    private static readonly InfoHash Torrent = InfoHash.Parse("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
    private static readonly Handshake Alice = new(Torrent, PeerId.FromBytes("-SS0001-aliceaaaaaaa"u8), PeerCapabilities.Fast | PeerCapabilities.ExtensionProtocol);
    private static readonly Handshake Bob = new(Torrent, PeerId.FromBytes("-SS0001-bobbbbbbbbbb"u8), PeerCapabilities.Dht);

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);

    public EncryptedPeerConnectionTests()
    {
        _listener.Start();
    }

    private IPEndPoint ListenEndPoint => (IPEndPoint)_listener.LocalEndpoint;

    public void Dispose() => _listener.Stop();

    [Theory]
    [InlineData(EncryptionMode.Prefer, EncryptionMode.Prefer, MseCryptoOffer.Rc4)]
    [InlineData(EncryptionMode.Require, EncryptionMode.Prefer, MseCryptoOffer.Rc4)]
    [InlineData(EncryptionMode.Prefer, EncryptionMode.Require, MseCryptoOffer.Rc4)]
    [InlineData(EncryptionMode.Require, EncryptionMode.Require, MseCryptoOffer.Rc4)]
    [InlineData(EncryptionMode.Disable, EncryptionMode.Prefer, MseCryptoOffer.None)]
    [InlineData(EncryptionMode.Disable, EncryptionMode.Disable, MseCryptoOffer.None)]
    public async Task Modes_that_agree_connect_and_stream_16_KiB_blocks_intact(EncryptionMode dialer, EncryptionMode listener, MseCryptoOffer crypto)
    {
        var dial = PeerConnection.ConnectAsync(ListenEndPoint, Alice, Options(dialer), default);
        var incoming = await AcceptAsync(listener, Bob);
        await using var _ = incoming;
        await using var outgoing = await dial.WaitAsync(Patience);
        Assert.Equal(crypto, outgoing.Crypto);
        Assert.Equal(crypto, incoming.Crypto);
        Assert.Equal(Bob, outgoing.Remote);
        Assert.Equal(Alice, incoming.Remote);
        await StreamBlocksAsync(outgoing, incoming);
        await StreamBlocksAsync(incoming, outgoing);
    }

    [Fact]
    public async Task Prefer_dials_a_peer_without_mse_again_with_a_plain_handshake()
    {
        var dial = PeerConnection.ConnectAsync(ListenEndPoint, Alice, Options(EncryptionMode.Prefer), default);
        var refused = await Assert.ThrowsAsync<PeerConnectionException>(() => AcceptAsync(EncryptionMode.Disable, Bob));
        Assert.Equal(PeerConnectionErrorKind.HandshakeFailed, refused.Kind);
        var incoming = await AcceptAsync(EncryptionMode.Disable, Bob);
        await using var _ = incoming;
        await using var outgoing = await dial.WaitAsync(Patience);
        Assert.Equal(MseCryptoOffer.None, outgoing.Crypto);
        await StreamBlocksAsync(outgoing, incoming);
    }

    [Fact]
    public async Task Require_never_falls_back_to_a_plain_handshake()
    {
        var dial = PeerConnection.ConnectAsync(ListenEndPoint, Alice, Options(EncryptionMode.Require), default);
        await Assert.ThrowsAsync<PeerConnectionException>(() => AcceptAsync(EncryptionMode.Disable, Bob));
        var error = await Assert.ThrowsAsync<PeerConnectionException>(() => dial.WaitAsync(Patience));
        Assert.Equal(PeerConnectionErrorKind.EncryptionFailed, error.Kind);
        Assert.IsType<MseHandshakeException>(error.InnerException);
    }

    [Fact]
    public async Task A_listener_that_requires_encryption_refuses_a_plain_handshake()
    {
        var dial = PeerConnection.ConnectAsync(ListenEndPoint, Alice, Options(EncryptionMode.Disable), default);
        var refused = await Assert.ThrowsAsync<PeerConnectionException>(() => AcceptAsync(EncryptionMode.Require, Bob));
        Assert.Equal(PeerConnectionErrorKind.EncryptionFailed, refused.Kind);
        await Assert.ThrowsAsync<PeerConnectionException>(() => dial.WaitAsync(Patience));
    }

    [Fact]
    public async Task An_mse_handshake_for_a_torrent_not_served_is_refused()
    {
        var stranger = Alice with { InfoHash = InfoHash.Parse("cccccccccccccccccccccccccccccccccccccccc") };
        var dial = PeerConnection.ConnectAsync(ListenEndPoint, stranger, Options(EncryptionMode.Require), default);
        var refused = await Assert.ThrowsAsync<PeerConnectionException>(() => AcceptAsync(EncryptionMode.Prefer, Bob));
        Assert.Equal(PeerConnectionErrorKind.EncryptionFailed, refused.Kind);
        Assert.Equal(PeerConnectionErrorKind.EncryptionFailed, (await Assert.ThrowsAsync<PeerConnectionException>(() => dial.WaitAsync(Patience))).Kind);
    }

    [Fact]
    public async Task A_peer_whose_handshake_inside_mse_names_another_torrent_is_refused()
    {
        var options = Options(EncryptionMode.Require);
        var accepting = _listener.AcceptSocketAsync();
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(ListenEndPoint);
        await using var stream = new NetworkStream(client, ownsSocket: false);
        var ia = new byte[HandshakeCodec.Length];
        HandshakeCodec.Write(ia, Alice with { InfoHash = InfoHash.Parse("cccccccccccccccccccccccccccccccccccccccc") });
        var initiating = MseHandshake.InitiateAsync(stream, Torrent, MseCryptoOffer.Rc4, ia, CancellationToken.None);
        var socket = await accepting.WaitAsync(Patience);
        var error = await Assert.ThrowsAsync<PeerConnectionException>(() =>
            PeerConnection.ReadIncomingHandshakeAsync(socket, options, new MseSkeyTable([Torrent], MseCryptoOffer.Rc4), default).WaitAsync(Patience));
        Assert.Equal(PeerConnectionErrorKind.WrongInfoHash, error.Kind);
        await initiating.WaitAsync(Patience);
    }

    [Fact]
    public void Encryption_defaults_to_prefer_and_a_copy_with_another_mode_keeps_every_other_option()
    {
        Assert.Equal(EncryptionMode.Prefer, PeerConnectionOptions.Default.Encryption);
        var options = new PeerConnectionOptions { HandshakeTimeout = TimeSpan.FromSeconds(3), MaxMessageLength = 12345, SocketBufferSize = 4096 };
        var copy = options.WithEncryption(EncryptionMode.Require);
        Assert.Equal(EncryptionMode.Require, copy.Encryption);
        Assert.Equal(EncryptionMode.Prefer, options.Encryption);
        Assert.Equal(
            (options.ConnectTimeout, options.HandshakeTimeout, options.ReadTimeout, options.MaxMessageLength, options.SocketBufferSize),
            (copy.ConnectTimeout, copy.HandshakeTimeout, copy.ReadTimeout, copy.MaxMessageLength, copy.SocketBufferSize));
    }

    private static PeerConnectionOptions Options(EncryptionMode mode) => new() { Encryption = mode, HandshakeTimeout = TimeSpan.FromSeconds(5) };

    private static async Task StreamBlocksAsync(PeerConnection from, PeerConnection to)
    {
        const int Count = 200;
        const int BlockLength = 16 * 1024;
        var send = Task.Run(async () =>
        {
            var block = new byte[BlockLength];
            for (var i = 0; i < Count; i++)
            {
                Array.Fill(block, (byte)i);
                block[0] = (byte)(i >> 8);
                await from.SendPieceAsync(i, 0, BlockLength, block, default);
            }
        });

        var expected = new byte[BlockLength];
        for (var i = 0; i < Count; i++)
        {
            var piece = await to.ReadAsync(default).AsTask().WaitAsync(Patience);
            Assert.Equal((PeerMessageType.Piece, i, BlockLength), (piece.Type, piece.Index, piece.Length));
            Array.Fill(expected, (byte)i);
            expected[0] = (byte)(i >> 8);
            Assert.True(piece.Payload.ToArray().AsSpan().SequenceEqual(expected), $"Block {i} arrived changed.");
        }

        await send.WaitAsync(Patience);
    }

    private async Task<PeerConnection> AcceptAsync(EncryptionMode mode, Handshake ours)
    {
        var socket = await _listener.AcceptSocketAsync().WaitAsync(Patience);
        var table = mode == EncryptionMode.Disable ? null : new MseSkeyTable([Torrent], mode == EncryptionMode.Require ? MseCryptoOffer.Rc4 : MseCryptoOffer.Rc4 | MseCryptoOffer.Plaintext);
        var (incoming, _) = await PeerConnection.ReadIncomingHandshakeAsync(socket, Options(mode), table, default).WaitAsync(Patience);
        await incoming.AcceptAsync(ours, default).WaitAsync(Patience);
        return incoming;
    }
}
