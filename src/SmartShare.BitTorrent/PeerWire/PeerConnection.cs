using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using SmartShare.BitTorrent.PeerWire.Encryption;
using SmartShare.BitTorrent.PeerWire.Transport;
using SmartShare.Threading;

namespace SmartShare.BitTorrent.PeerWire;

/// <summary>
/// One BitTorrent peer connection over a transport's link (TCP by default, see <see cref="IPeerTransport"/>): the handshake, then messages read one at a time and sent from any
/// number of tasks. Reads parse straight out of a <see cref="PipeReader"/> over the link's stream, so a piece block is a
/// slice of the receive buffer and is never copied here; sends are written into a <see cref="PipeWriter"/> under a
/// lock and flushed, and allocate nothing per message. The pipes run over the link's stream, or over an
/// <see cref="Rc4Stream"/> on it when Message Stream Encryption selected RC4 (<see cref="PeerConnectionOptions.Encryption"/>).
/// </summary>
public sealed class PeerConnection : IAsyncDisposable
{
    private const int Idle = 0;
    private const int Reading = 1;
    private const int Disposed = 2;

    // Receive segments: room for several 16 KiB blocks per socket read; a read is issued only while at least
    // MinimumReadSize bytes of the segment are free, otherwise a new segment is taken.
    private const int ReceiveBufferSize = 128 * 1024;
    private const int MinimumReadSize = 32 * 1024;
    private const int SendSegmentSize = 64 * 1024;

    private readonly IPeerLink _link;
    private readonly Stream _stream;
    private readonly PipeReader _reader;
    private readonly PipeWriter _writer;
    // The MSE handshake runs under the connection's handshake timeout, not one of its own.
    private static readonly MseHandshakeOptions Unlimited = new() { Timeout = Timeout.InfiniteTimeSpan };

    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly PeerConnectionOptions _options;
    private readonly TimeProvider _time;
    private readonly ITimer _readTimer;

    private SequencePosition _consumed;
    private bool _hasConsumed;
    private int _readState;
    private int _disposed;
    private bool _waiting;
    private long _waitStart;
    private long _bytesSent;
    private long _bytesReceived;

    private PeerConnection(IPeerLink link, Stream stream, IPEndPoint remoteEndPoint, PeerConnectionOptions options, bool isIncoming, MseCryptoOffer crypto)
    {
        _link = link;
        _options = options;
        RemoteEndPoint = remoteEndPoint;
        IsIncoming = isIncoming;
        Crypto = crypto;
        MaxMessageLength = options.MaxMessageLength;
        _stream = stream;
        _reader = PipeReader.Create(_stream, new StreamPipeReaderOptions(bufferSize: ReceiveBufferSize, minimumReadSize: MinimumReadSize, leaveOpen: true));
        _writer = PipeWriter.Create(_stream, new StreamPipeWriterOptions(minimumBufferSize: SendSegmentSize, leaveOpen: true));
        _time = options.Time;

        // One periodic timer per connection checks whether the read in progress has waited too long; arming a timer
        // per read would cost more than the reads themselves.
        var period = TimeSpan.FromMilliseconds(Math.Clamp(options.ReadTimeout.TotalMilliseconds / 8, 5, 1000));
        _readTimer = _time.CreateTimer(static state => ((PeerConnection)state!).CheckReadTimeout(), this, period, period);
    }

    /// <summary>The peer's address.</summary>
    public IPEndPoint RemoteEndPoint { get; }

    /// <summary>The peer's handshake; set once connecting or accepting has read it.</summary>
    public Handshake Remote { get; private set; }

    /// <summary>True if the peer dialed us.</summary>
    public bool IsIncoming { get; }

    /// <summary>
    /// What the MSE handshake selected: <see cref="MseCryptoOffer.Rc4"/> (everything after it is encrypted),
    /// <see cref="MseCryptoOffer.Plaintext"/> (MSE handshake, plain payload), or <see cref="MseCryptoOffer.None"/> for a
    /// plain BitTorrent handshake without MSE.
    /// </summary>
    public MseCryptoOffer Crypto { get; }

    /// <summary>The largest message length prefix accepted; raise it to 1 + the bitfield's size for torrents with very many pieces.</summary>
    public int MaxMessageLength { get; set; }

    /// <summary>Piece block bytes sent so far.</summary>
    public long BytesSent => Interlocked.Read(ref _bytesSent);

    /// <summary>Piece block bytes received so far.</summary>
    public long BytesReceived => Interlocked.Read(ref _bytesReceived);

    /// <summary>
    /// Dials <paramref name="endPoint"/>, sends our handshake and reads the peer's. With
    /// <see cref="EncryptionMode.Prefer"/> the handshake goes inside an MSE handshake offering RC4 and plaintext, and a
    /// peer that fails MSE is dialed once more with a plain handshake; with <see cref="EncryptionMode.Require"/> only
    /// MSE with RC4 is offered; with <see cref="EncryptionMode.Disable"/> the handshake is plain.
    /// </summary>
    /// <exception cref="PeerConnectionException">Dialing or the handshake failed (EncryptionFailed: the MSE
    /// handshake, when encryption is required), the peer is on another torrent, or the peer is us.</exception>
    public static Task<PeerConnection> ConnectAsync(IPEndPoint endPoint, Handshake ours, PeerConnectionOptions options, CancellationToken cancellationToken) =>
        ConnectAsync(TcpPeerTransport.For(options ?? throw new ArgumentNullException(nameof(options))), endPoint, ours, options, cancellationToken);

    /// <summary>As <see cref="ConnectAsync(IPEndPoint, Handshake, PeerConnectionOptions, CancellationToken)"/>, over <paramref name="transport"/>.</summary>
    public static async Task<PeerConnection> ConnectAsync(
        IPeerTransport transport, IPEndPoint endPoint, Handshake ours, PeerConnectionOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(endPoint);
        ArgumentNullException.ThrowIfNull(options);
        switch (options.Encryption)
        {
            case EncryptionMode.Disable:
                return await ConnectOnceAsync(transport, endPoint, ours, options, MseCryptoOffer.None, cancellationToken);
            case EncryptionMode.Require:
                return await ConnectOnceAsync(transport, endPoint, ours, options, MseCryptoOffer.Rc4, cancellationToken);
            default:
                try
                {
                    return await ConnectOnceAsync(transport, endPoint, ours, options, MseCryptoOffer.Rc4 | MseCryptoOffer.Plaintext, cancellationToken);
                }
                catch (PeerConnectionException e) when (e.Kind == PeerConnectionErrorKind.EncryptionFailed)
                {
                    // A peer without MSE closes on our public key (it is no BitTorrent handshake): dial it again plainly.
                    return await ConnectOnceAsync(transport, endPoint, ours, options, MseCryptoOffer.None, cancellationToken);
                }
        }
    }

    /// <summary>
    /// Takes over an accepted socket and reads the peer's plain handshake, so that a listener serving many torrents
    /// can look up the info hash. The caller then calls <see cref="AcceptAsync"/> or disposes the connection.
    /// MSE handshakes are refused.
    /// </summary>
    /// <exception cref="PeerConnectionException">The peer sent no valid handshake in time.</exception>
    public static Task<(PeerConnection Connection, Handshake Remote)> ReadIncomingHandshakeAsync(Socket socket, PeerConnectionOptions options, CancellationToken cancellationToken) =>
        ReadIncomingHandshakeAsync(socket, options, null, cancellationToken);

    /// <summary>As <see cref="ReadIncomingHandshakeAsync(IPeerLink, PeerConnectionOptions, MseSkeyTable?, CancellationToken)"/>, for an accepted TCP socket.</summary>
    public static Task<(PeerConnection Connection, Handshake Remote)> ReadIncomingHandshakeAsync(
        Socket socket, PeerConnectionOptions options, MseSkeyTable? encryptedTorrents, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentNullException.ThrowIfNull(options);
        IPeerLink link;
        try
        {
            link = TcpPeerTransport.For(options).Adopt(socket);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new PeerConnectionException(PeerConnectionErrorKind.Closed, $"The accepted connection is already gone: {e.Message}", e);
        }

        return ReadIncomingHandshakeAsync(link, options, encryptedTorrents, cancellationToken);
    }

    /// <summary>
    /// Takes over an accepted link and reads the peer's handshake, so that a listener serving many torrents can
    /// look up the info hash; the caller then calls <see cref="AcceptAsync"/> or disposes the connection. The first
    /// bytes tell the two kinds apart: 0x13 "BitTorrent protocol" is a plain handshake (refused when
    /// <see cref="PeerConnectionOptions.Encryption"/> is <see cref="EncryptionMode.Require"/>); anything else is
    /// taken for an MSE handshake for one of <paramref name="encryptedTorrents"/> (refused when encryption is
    /// disabled or no table is given), whose IA is then read as the peer's handshake.
    /// </summary>
    /// <exception cref="PeerConnectionException">The peer sent no valid handshake in time (HandshakeFailed,
    /// TimedOut), failed the MSE handshake or sent the kind of handshake refused (EncryptionFailed), or named another
    /// torrent inside MSE than the one its MSE handshake named (WrongInfoHash).</exception>
    public static async Task<(PeerConnection Connection, Handshake Remote)> ReadIncomingHandshakeAsync(
        IPeerLink link, PeerConnectionOptions options, MseSkeyTable? encryptedTorrents, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(link);
        ArgumentNullException.ThrowIfNull(options);
        var remoteEndPoint = link.RemoteEndPoint;
        var network = link.Stream;

        using var timeout = new TimeLimit(options.HandshakeTimeout, options.Time, cancellationToken);
        PeerConnection connection;
        InfoHash? mseSkey = null;
        try
        {
            var (first, plain) = await PeekAsync(network, remoteEndPoint, options, cancellationToken, timeout.Token);
            if (plain)
            {
                if (options.Encryption == EncryptionMode.Require)
                {
                    throw new PeerConnectionException(PeerConnectionErrorKind.EncryptionFailed, $"Peer {remoteEndPoint} sent a plain handshake; encryption is required.");
                }

                connection = new PeerConnection(link, PrefixedStream.Over(first, network), remoteEndPoint, options, isIncoming: true, MseCryptoOffer.None);
            }
            else
            {
                if (options.Encryption == EncryptionMode.Disable || encryptedTorrents is null)
                {
                    throw new PeerConnectionException(
                        PeerConnectionErrorKind.HandshakeFailed,
                        $"Peer {remoteEndPoint} is not speaking BitTorrent (or speaks MSE, which is disabled): its handshake does not start with 0x13 \"BitTorrent protocol\".");
                }

                var result = await RespondMseAsync(network, first, encryptedTorrents, remoteEndPoint, options, cancellationToken, timeout.Token);
                if (options.Encryption == EncryptionMode.Require && result.SelectedCrypto != MseCryptoOffer.Rc4)
                {
                    throw new PeerConnectionException(PeerConnectionErrorKind.EncryptionFailed, $"Peer {remoteEndPoint} does not offer RC4; encryption is required.");
                }

                mseSkey = result.Skey;
                connection = new PeerConnection(
                    link, PrefixedStream.Over(result.InitialPayload, result.Stream), remoteEndPoint, options, isIncoming: true, result.SelectedCrypto);
            }
        }
        catch
        {
            await link.DisposeAsync();
            throw;
        }

        try
        {
            var remote = await connection.ReadHandshakeAsync(cancellationToken, timeout.Token);
            if (mseSkey is { } skey && remote.InfoHash != skey)
            {
                throw new PeerConnectionException(PeerConnectionErrorKind.WrongInfoHash, $"Peer {remoteEndPoint} asked for torrent {skey} in its MSE handshake but {remote.InfoHash} in its BitTorrent handshake.");
            }

            connection.Remote = remote;
            return (connection, remote);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>Answers an incoming connection with our handshake.</summary>
    /// <exception cref="PeerConnectionException">The peer is us (SelfConnection), is on another torrent (WrongInfoHash), or the send failed.</exception>
    public async Task AcceptAsync(Handshake ours, CancellationToken cancellationToken)
    {
        if (!IsIncoming)
        {
            throw new InvalidOperationException("Only an incoming connection is accepted; an outgoing one has already exchanged handshakes.");
        }

        if (Remote.InfoHash != ours.InfoHash)
        {
            throw new PeerConnectionException(PeerConnectionErrorKind.WrongInfoHash, $"Peer {RemoteEndPoint} asked for torrent {Remote.InfoHash}, not {ours.InfoHash}.");
        }

        using var timeout = new TimeLimit(_options.HandshakeTimeout, _time, cancellationToken);
        await WriteHandshakeAsync(ours, cancellationToken, timeout.Token);

        // Answered first even to ourselves, so the dialing side sees its own peer id too and stops dialing this address.
        if (Remote.PeerId == ours.PeerId)
        {
            throw new PeerConnectionException(PeerConnectionErrorKind.SelfConnection, $"Peer {RemoteEndPoint} has our own peer id: it is this client.");
        }
    }

    /// <summary>
    /// Reads the next message. Its <see cref="PeerMessage.Payload"/> is valid until the next call, which releases it.
    /// One read at a time.
    /// </summary>
    /// <exception cref="PeerConnectionException">The connection closed (Closed), the peer broke the protocol
    /// (ProtocolViolation), or nothing at all arrived within the read timeout (TimedOut).</exception>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<PeerMessage> ReadAsync(CancellationToken cancellationToken)
    {
        var state = Interlocked.CompareExchange(ref _readState, Reading, Idle);
        if (state == Disposed)
        {
            throw ClosedByUs();
        }

        if (state == Reading)
        {
            throw new InvalidOperationException("Another read is already in progress on this connection.");
        }

        try
        {
            if (_hasConsumed)
            {
                _hasConsumed = false;
                _reader.AdvanceTo(_consumed);
            }

            while (true)
            {
                ReadResult result;
                Volatile.Write(ref _waitStart, _time.GetTimestamp());
                Volatile.Write(ref _waiting, true);
                try
                {
                    result = await _reader.ReadAsync(cancellationToken);
                }
                catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
                {
                    throw Closed(e);
                }
                finally
                {
                    Volatile.Write(ref _waiting, false);
                }

                if (result.IsCanceled)
                {
                    _reader.AdvanceTo(result.Buffer.Start);
                    if (Volatile.Read(ref _disposed) != 0)
                    {
                        throw ClosedByUs();
                    }

                    if (ReadTimedOut())
                    {
                        throw new PeerConnectionException(
                            PeerConnectionErrorKind.TimedOut,
                            $"Peer {RemoteEndPoint} sent nothing for {_options.ReadTimeout.TotalSeconds:0.###} s.");
                    }

                    continue;
                }

                var buffer = result.Buffer;
                PeerMessage message;
                bool parsed;
                try
                {
                    parsed = PeerMessageCodec.TryRead(ref buffer, MaxMessageLength, out message);
                }
                catch (PeerWireFormatException e)
                {
                    _reader.AdvanceTo(result.Buffer.Start);
                    throw new PeerConnectionException(PeerConnectionErrorKind.ProtocolViolation, $"Peer {RemoteEndPoint} broke the protocol: {e.Message}", e);
                }

                if (parsed)
                {
                    _consumed = buffer.Start;
                    _hasConsumed = true;
                    if (message.Type == PeerMessageType.Piece)
                    {
                        Interlocked.Add(ref _bytesReceived, message.Length);
                    }

                    return message;
                }

                _reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
                if (result.IsCompleted)
                {
                    throw new PeerConnectionException(
                        PeerConnectionErrorKind.Closed,
                        result.Buffer.IsEmpty
                            ? $"Peer {RemoteEndPoint} closed the connection."
                            : $"Peer {RemoteEndPoint} closed the connection in the middle of a message.");
                }
            }
        }
        finally
        {
            if (Interlocked.CompareExchange(ref _readState, Idle, Reading) == Disposed)
            {
                // Disposed while this read was running: the reader is this read's to release.
                _hasConsumed = false;
                await _reader.CompleteAsync();
            }
        }
    }

    // Sends: the message is written into the pipe writer and flushed under one lock, so concurrent senders never
    // interleave bytes. Cancelling a send while it waits for the lock sends nothing; cancelling it during the flush
    // closes the connection, since part of the message may already be on the wire.

    /// <summary>Sends a message without payload: choke, unchoke, interested, not interested, have all, have none, keep-alive.</summary>
    public ValueTask SendAsync(PeerMessageType type, CancellationToken ct)
    {
        CheckType(type, PeerMessageType.Choke, PeerMessageType.Unchoke, PeerMessageType.Interested, PeerMessageType.NotInterested,
            PeerMessageType.HaveAll, PeerMessageType.HaveNone, PeerMessageType.KeepAlive);
        return SendCoreAsync(static (writer, type) => PeerMessageCodec.Write(writer, type), type, 0, ct);
    }

    /// <summary>Sends have, suggest or allowed fast.</summary>
    public ValueTask SendIndexAsync(PeerMessageType type, int index, CancellationToken ct)
    {
        CheckType(type, PeerMessageType.Have, PeerMessageType.Suggest, PeerMessageType.AllowedFast);
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        return SendCoreAsync(static (writer, state) => PeerMessageCodec.WriteIndex(writer, state.type, state.index), (type, index), 0, ct);
    }

    /// <summary>Sends request, cancel or reject.</summary>
    public ValueTask SendBlockRequestAsync(PeerMessageType type, int index, int begin, int length, CancellationToken ct)
    {
        CheckType(type, PeerMessageType.Request, PeerMessageType.Cancel, PeerMessageType.Reject);
        CheckBlock(index, begin, length);
        return SendCoreAsync(
            static (writer, state) => PeerMessageCodec.WriteBlockRequest(writer, state.type, state.index, state.begin, state.length),
            (type, index, begin, length),
            0,
            ct);
    }

    /// <summary>Sends many requests with one flush.</summary>
    public ValueTask SendRequestsAsync(ReadOnlyMemory<(int Index, int Begin, int Length)> requests, CancellationToken ct)
    {
        foreach (var (index, begin, length) in requests.Span)
        {
            CheckBlock(index, begin, length);
        }

        return SendCoreAsync(
            static (writer, requests) =>
            {
                foreach (var (index, begin, length) in requests.Span)
                {
                    PeerMessageCodec.WriteBlockRequest(writer, PeerMessageType.Request, index, begin, length);
                }
            },
            requests,
            0,
            ct);
    }

    /// <summary>Sends a bitfield.</summary>
    public ValueTask SendBitfieldAsync(ReadOnlyMemory<byte> bits, CancellationToken ct) =>
        SendCoreAsync(static (writer, bits) => PeerMessageCodec.WriteBitfield(writer, bits.Span), bits, 0, ct);

    /// <summary>Sends a port message (BEP 5).</summary>
    public ValueTask SendPortAsync(ushort port, CancellationToken ct) =>
        SendCoreAsync(static (writer, port) => PeerMessageCodec.WritePort(writer, port), port, 0, ct);

    /// <summary>Sends an extended message (BEP 10); id 0 is the extension handshake.</summary>
    public ValueTask SendExtendedAsync(byte id, ReadOnlyMemory<byte> payload, CancellationToken ct) =>
        SendCoreAsync(static (writer, state) => PeerMessageCodec.WriteExtended(writer, state.id, state.payload.Span), (id, payload), 0, ct);

    /// <summary>Sends a piece message with the <paramref name="length"/> bytes of <paramref name="block"/>, which must be exactly that long.</summary>
    public ValueTask SendPieceAsync(int index, int begin, int length, ReadOnlyMemory<byte> block, CancellationToken ct)
    {
        CheckBlock(index, begin, length);
        if (block.Length != length)
        {
            throw new ArgumentException($"The block is {block.Length} bytes, not the {length} announced.", nameof(block));
        }

        return SendCoreAsync(
            static (writer, state) =>
            {
                var span = writer.GetSpan(PeerMessageCodec.PieceHeaderLength + state.block.Length);
                PeerMessageCodec.WritePieceHeader(span, state.index, state.begin, state.block.Length);
                state.block.Span.CopyTo(span[PeerMessageCodec.PieceHeaderLength..]);
                writer.Advance(PeerMessageCodec.PieceHeaderLength + state.block.Length);
            },
            (index, begin, block),
            length,
            ct);
    }

    /// <summary>
    /// Sends a piece message whose <paramref name="length"/> block bytes <paramref name="fill"/> writes straight into
    /// the send buffer (for example read from disk). <paramref name="fill"/> runs under the send lock: keep it short
    /// and synchronous.
    /// </summary>
    public ValueTask SendPieceAsync<TState>(int index, int begin, int length, TState state, SpanAction<byte, TState> fill, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(fill);
        CheckBlock(index, begin, length);
        return SendCoreAsync(
            static (writer, s) =>
            {
                var span = writer.GetSpan(PeerMessageCodec.PieceHeaderLength + s.length);
                PeerMessageCodec.WritePieceHeader(span, s.index, s.begin, s.length);
                s.fill(span.Slice(PeerMessageCodec.PieceHeaderLength, s.length), s.state);
                writer.Advance(PeerMessageCodec.PieceHeaderLength + s.length);
            },
            (index, begin, length, state, fill),
            length,
            ct);
    }

    /// <summary>Closes the link. Reads and sends in progress, and any after, end with <see cref="PeerConnectionErrorKind.Closed"/>.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _readTimer.DisposeAsync();
        _reader.CancelPendingRead();
        await _link.DisposeAsync();
        if (Interlocked.Exchange(ref _readState, Disposed) == Idle)
        {
            await _reader.CompleteAsync();
        }

        // A send stuck in a flush fails now that the link is closed; wait for it so the writer is completed by no one else.
        await _sendLock.WaitAsync();
        try
        {
            await _writer.CompleteAsync();
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            // Nothing is left unflushed between sends; a failure here only says the link is gone.
        }
        finally
        {
            _sendLock.Release();
        }

        await _stream.DisposeAsync();
    }

    public override string ToString() => $"{(IsIncoming ? "from" : "to")} {RemoteEndPoint} ({Remote.PeerId})";

    private static async Task<PeerConnection> ConnectOnceAsync(
        IPeerTransport transport, IPEndPoint endPoint, Handshake ours, PeerConnectionOptions options, MseCryptoOffer offer, CancellationToken cancellationToken)
    {
        IPeerLink link;
        try
        {
            using var timeout = new TimeLimit(options.ConnectTimeout, options.Time, cancellationToken);
            link = await transport.ConnectAsync(endPoint, timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new PeerConnectionException(PeerConnectionErrorKind.TimedOut, $"Connecting to {endPoint} took longer than {options.ConnectTimeout.TotalSeconds:0.###} s.");
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            throw new PeerConnectionException(PeerConnectionErrorKind.ConnectFailed, $"Could not connect to {endPoint}: {e.Message}", e);
        }

        using var handshakeTimeout = new TimeLimit(options.HandshakeTimeout, options.Time, cancellationToken);
        var network = link.Stream;
        PeerConnection connection;
        if (offer == MseCryptoOffer.None)
        {
            connection = new PeerConnection(link, network, endPoint, options, isIncoming: false, MseCryptoOffer.None);
        }
        else
        {
            MseHandshakeResult result;
            try
            {
                var ia = new byte[HandshakeCodec.Length];
                HandshakeCodec.Write(ia, ours);
                result = await MseHandshake.InitiateAsync(network, ours.InfoHash, offer, ia, Unlimited, handshakeTimeout.Token);
            }
            catch (Exception e) when (e is MseHandshakeException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                await link.DisposeAsync();
                throw new PeerConnectionException(
                    PeerConnectionErrorKind.EncryptionFailed,
                    e is OperationCanceledException
                        ? $"The MSE handshake with {endPoint} took longer than {options.HandshakeTimeout.TotalSeconds:0.###} s."
                        : $"The MSE handshake with {endPoint} failed: {e.Message}",
                    e);
            }
            catch
            {
                await link.DisposeAsync();
                throw;
            }

            connection = new PeerConnection(link, result.Stream, endPoint, options, isIncoming: false, result.SelectedCrypto);
        }

        try
        {
            if (offer == MseCryptoOffer.None)
            {
                // Inside MSE our handshake went as IA.
                await connection.WriteHandshakeAsync(ours, cancellationToken, handshakeTimeout.Token);
            }

            var remote = await connection.ReadHandshakeAsync(cancellationToken, handshakeTimeout.Token);
            if (remote.InfoHash != ours.InfoHash)
            {
                throw new PeerConnectionException(PeerConnectionErrorKind.WrongInfoHash, $"Peer {endPoint} answered for torrent {remote.InfoHash}, not {ours.InfoHash}.");
            }

            if (remote.PeerId == ours.PeerId)
            {
                throw new PeerConnectionException(PeerConnectionErrorKind.SelfConnection, $"Peer {endPoint} has our own peer id: it is this client.");
            }

            connection.Remote = remote;
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    // Reads until the first bytes either are the 20-byte start of a plain handshake or differ from it somewhere.
    private static async Task<(byte[] First, bool Plain)> PeekAsync(
        Stream network, IPEndPoint remoteEndPoint, PeerConnectionOptions options, CancellationToken callerToken, CancellationToken timeoutToken)
    {
        var first = new byte[HandshakeCodec.Protocol.Length];
        var have = 0;
        while (true)
        {
            int read;
            try
            {
                read = await network.ReadAsync(first.AsMemory(have), timeoutToken);
            }
            catch (OperationCanceledException) when (!callerToken.IsCancellationRequested)
            {
                throw new PeerConnectionException(
                    PeerConnectionErrorKind.TimedOut, $"The handshake with {remoteEndPoint} took longer than {options.HandshakeTimeout.TotalSeconds:0.###} s.");
            }
            catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
            {
                throw new PeerConnectionException(PeerConnectionErrorKind.HandshakeFailed, $"Reading the handshake of {remoteEndPoint} failed: {e.Message}", e);
            }

            if (read == 0)
            {
                throw new PeerConnectionException(PeerConnectionErrorKind.HandshakeFailed, $"Peer {remoteEndPoint} closed the connection during the handshake.");
            }

            have += read;
            if (!first.AsSpan(0, have).SequenceEqual(HandshakeCodec.Protocol[..have]))
            {
                return (first[..have], false);
            }

            if (have == first.Length)
            {
                return (first, true);
            }
        }
    }

    private static async Task<MseHandshakeResult> RespondMseAsync(
        Stream network, byte[] first, MseSkeyTable torrents, IPEndPoint remoteEndPoint, PeerConnectionOptions options, CancellationToken callerToken, CancellationToken timeoutToken)
    {
        try
        {
            return await MseHandshake.RespondAsync(network, first, torrents, Unlimited, timeoutToken);
        }
        catch (OperationCanceledException e) when (!callerToken.IsCancellationRequested)
        {
            throw new PeerConnectionException(
                PeerConnectionErrorKind.TimedOut, $"The MSE handshake with {remoteEndPoint} took longer than {options.HandshakeTimeout.TotalSeconds:0.###} s.", e);
        }
        catch (MseHandshakeException e)
        {
            throw new PeerConnectionException(PeerConnectionErrorKind.EncryptionFailed, $"The MSE handshake of {remoteEndPoint} failed: {e.Message}", e);
        }
    }

    private static void CheckType(PeerMessageType type, params ReadOnlySpan<PeerMessageType> allowed)
    {
        if (!allowed.Contains(type))
        {
            throw new ArgumentException($"A {type} message cannot be sent this way.", nameof(type));
        }
    }

    private static void CheckBlock(int index, int begin, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfNegative(begin);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SendCoreAsync<TState>(Action<PipeWriter, TState> write, TState state, int blockBytes, CancellationToken ct)
    {
        await _sendLock.WaitAsync(ct);
        try
        {
            if (Volatile.Read(ref _disposed) != 0)
            {
                throw ClosedByUs();
            }

            write(_writer, state);
            FlushResult result;
            try
            {
                result = await _writer.FlushAsync(ct);
            }
            catch (OperationCanceledException)
            {
                // Part of the message may be on the wire already: nothing sent after it could be parsed, so the
                // connection is done. Disposing waits for this send to let go of the lock.
                _ = DisposeAsync().AsTask();
                throw;
            }

            if (result.IsCanceled || result.IsCompleted)
            {
                throw ClosedByUs();
            }

            if (blockBytes != 0)
            {
                Interlocked.Add(ref _bytesSent, blockBytes);
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException
            || (e is InvalidOperationException && Volatile.Read(ref _disposed) != 0))
        {
            throw Closed(e);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    private async Task WriteHandshakeAsync(Handshake ours, CancellationToken callerToken, CancellationToken timeoutToken)
    {
        var span = _writer.GetSpan(HandshakeCodec.Length);
        HandshakeCodec.Write(span, ours);
        _writer.Advance(HandshakeCodec.Length);
        try
        {
            await _writer.FlushAsync(timeoutToken);
        }
        catch (OperationCanceledException) when (!callerToken.IsCancellationRequested)
        {
            throw HandshakeTimedOut();
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            throw new PeerConnectionException(PeerConnectionErrorKind.HandshakeFailed, $"Sending our handshake to {RemoteEndPoint} failed: {e.Message}", e);
        }
    }

    private async Task<Handshake> ReadHandshakeAsync(CancellationToken callerToken, CancellationToken timeoutToken)
    {
        while (true)
        {
            ReadResult result;
            try
            {
                result = await _reader.ReadAsync(timeoutToken);
            }
            catch (OperationCanceledException) when (!callerToken.IsCancellationRequested)
            {
                throw HandshakeTimedOut();
            }
            catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
            {
                throw new PeerConnectionException(PeerConnectionErrorKind.HandshakeFailed, $"Reading the handshake of {RemoteEndPoint} failed: {e.Message}", e);
            }

            var buffer = result.Buffer;
            bool complete;
            Handshake handshake;
            try
            {
                complete = HandshakeCodec.TryRead(buffer, out handshake);
            }
            catch (PeerWireFormatException e)
            {
                _reader.AdvanceTo(buffer.Start);
                throw new PeerConnectionException(PeerConnectionErrorKind.HandshakeFailed, $"Peer {RemoteEndPoint} is not speaking BitTorrent: {e.Message}", e);
            }

            if (complete)
            {
                _reader.AdvanceTo(buffer.GetPosition(HandshakeCodec.Length));
                return handshake;
            }

            _reader.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted || result.IsCanceled)
            {
                throw new PeerConnectionException(PeerConnectionErrorKind.HandshakeFailed, $"Peer {RemoteEndPoint} closed the connection during the handshake.");
            }
        }
    }

    private void CheckReadTimeout()
    {
        if (Volatile.Read(ref _waiting) && ReadTimedOut())
        {
            _reader.CancelPendingRead();
        }
    }

    private bool ReadTimedOut() => _time.GetElapsedTime(Volatile.Read(ref _waitStart)) >= _options.ReadTimeout;

    private PeerConnectionException HandshakeTimedOut() =>
        new(PeerConnectionErrorKind.TimedOut, $"The handshake with {RemoteEndPoint} took longer than {_options.HandshakeTimeout.TotalSeconds:0.###} s.");

    private PeerConnectionException Closed(Exception e) =>
        Volatile.Read(ref _disposed) != 0
            ? ClosedByUs()
            : new PeerConnectionException(PeerConnectionErrorKind.Closed, $"The connection with {RemoteEndPoint} broke: {e.Message}", e);

    private PeerConnectionException ClosedByUs() =>
        new(PeerConnectionErrorKind.Closed, $"The connection with {RemoteEndPoint} was closed by this client.");
}
