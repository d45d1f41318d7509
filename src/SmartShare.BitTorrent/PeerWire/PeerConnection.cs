using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using SmartShare.BitTorrent.PeerWire.Encryption;
using SmartShare.BitTorrent.PeerWire.Transport;

namespace SmartShare.BitTorrent.PeerWire;

/// <summary>
/// One BitTorrent peer connection over a transport's link (TCP by default, see <see cref="IPeerTransport"/>): the
/// handshake, then messages read one at a time and sent from any number of tasks. Reads parse straight out of a
/// <see cref="PipeReader"/> over the link's stream, so a piece block is a slice of the receive buffer and is never
/// copied here; sends are written into a <see cref="PipeWriter"/> under a lock and flushed, and allocate nothing per
/// message. The pipes run over the link's stream, or over an <see cref="Rc4Stream"/> on it when Message Stream
/// Encryption selected RC4 (<see cref="PeerConnectionOptions.Encryption"/>).
/// </summary>
/// <remarks>
/// The handshakes that open a connection are in PeerConnection.Handshakes.cs, reading in PeerConnection.Reading.cs
/// and sending in PeerConnection.Sending.cs.
/// </remarks>
public sealed partial class PeerConnection : IAsyncDisposable
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
    private long _flushStart;
    private bool _sendStalled;
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

    /// <summary>What carries the connection: "tcp" or "utp" (see <see cref="IPeerLink.Transport"/>).</summary>
    public string Transport => _link.Transport;

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

    private PeerConnectionException HandshakeTimedOut() =>
        new(PeerConnectionErrorKind.TimedOut, $"The handshake with {RemoteEndPoint} took longer than {_options.HandshakeTimeout.TotalSeconds:0.###} s.");

    private PeerConnectionException Closed(Exception e) =>
        Volatile.Read(ref _disposed) != 0
            ? ClosedByUs()
            : new PeerConnectionException(PeerConnectionErrorKind.Closed, $"The connection with {RemoteEndPoint} broke: {e.Message}", e);

    private PeerConnectionException ClosedByUs() =>
        Volatile.Read(ref _sendStalled)
            ? SendTimedOut(null)
            : new(PeerConnectionErrorKind.Closed, $"The connection with {RemoteEndPoint} was closed by this client.");

    private PeerConnectionException SendTimedOut(Exception? inner) =>
        new(PeerConnectionErrorKind.TimedOut, $"Peer {RemoteEndPoint} read nothing we sent for {_options.SendTimeout.TotalSeconds:0.###} s; closed.", inner);
}
