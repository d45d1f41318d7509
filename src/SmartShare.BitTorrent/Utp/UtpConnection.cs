using System.Buffers;
using System.IO.Pipelines;
using System.Net;

namespace SmartShare.BitTorrent.Utp;

/// <summary>
/// One uTP connection (BEP 29) of a <see cref="UtpSocket"/>: a reliable, ordered byte stream over datagrams with
/// LEDBAT congestion control. The socket hands it every datagram carrying its connection id; the application writes
/// through <see cref="WriteAsync"/> and reads through <see cref="Stream"/>. Every field is guarded by the connection's
/// lock, taken by the socket's receive loop, its timer and the application's calls; datagrams are sent under it.
/// </summary>
/// <remarks>
/// The logic follows libutp (the reference implementation) where BEP 29 is silent: the SYN's state reply carries the
/// sequence number of the acceptor's first data packet, ACKs are sent once a burst of datagrams has been read,
/// the last small packet waits while others are in flight (Nagle), and a timeout resets the window to one packet.
/// Incoming packets are handled in UtpConnection.Incoming.cs, outgoing ones and the timers in
/// UtpConnection.Outgoing.cs, congestion control in UtpConnection.Congestion.cs.
/// </remarks>
public sealed partial class UtpConnection
{
    private const int BufferSlots = 2048;
    private const int SlotMask = BufferSlots - 1;

    // Packets past the next expected one held for reordering; a packet further ahead is dropped (libutp: 1024).
    private const int ReorderLimit = 1024;

    private readonly UtpSocket _socket;
    private readonly UtpOptions _options;
    private readonly object _gate = new();
    private readonly Pipe _received = new(new PipeOptions(
        pauseWriterThreshold: 0, resumeWriterThreshold: 0, minimumSegmentSize: 16 * 1024, useSynchronizationContext: false));

    // Sent and unsent packets, by sequence number modulo BufferSlots.
    private readonly OutgoingPacket?[] _outgoing = new OutgoingPacket?[BufferSlots];

    // Packets received ahead of the next expected one, by sequence number modulo ReorderLimit.
    private readonly byte[]?[] _reorder = new byte[]?[ReorderLimit];
    private readonly int[] _reorderLength = new int[ReorderLimit];
    private readonly Stack<OutgoingPacket> _spare = new();
    private readonly TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private UtpConnectionState _state;
    private Exception? _failure;
    private TaskCompletionSource? _writable;
    private ushort _seqNr;
    private ushort _ackNr;
    private int _windowPackets;
    private int _bufferedBytes;
    private int _reorderCount;
    private int _reorderBytes;
    private long _unread;
    private uint _lastAdvertisedWindow;
    private bool _ackPending;
    private bool _gotFin;
    private ushort _eofSeq;
    private bool _finReached;
    private bool _finSent;
    private bool _finAcked;
    private bool _closeRequested;
    private long _halfOpenDeadline;
    private long _lastReceived;

    internal UtpConnection(UtpSocket socket, IPEndPoint remote, ushort receiveId, ushort sendId, long now)
    {
        _socket = socket;
        _options = socket.Options;
        Remote = remote;
        ReceiveId = receiveId;
        SendId = sendId;
        _lastReceived = now;
        _lastSent = now;
        _lastDecay = now - DecayIntervalMicroseconds;
        _maxWindow = _options.MaxPayload;
        _rtoMicroseconds = ToMicroseconds(_options.ConnectTimeout);
        _retransmitTimeout = _rtoMicroseconds;
        Stream = new UtpStream(this);
    }

    /// <summary>The peer's address.</summary>
    public IPEndPoint Remote { get; }

    /// <summary>The connection id the peer sends to us with.</summary>
    public ushort ReceiveId { get; }

    /// <summary>The connection id we send to the peer with.</summary>
    public ushort SendId { get; }

    /// <summary>The byte stream: reads return what arrived in order, writes queue packets; disposing it closes the connection.</summary>
    public Stream Stream { get; }

    /// <summary>Where the connection is (for tests and status).</summary>
    public UtpConnectionState State
    {
        get
        {
            lock (_gate)
            {
                return _state;
            }
        }
    }

    /// <summary>The congestion window in bytes (LEDBAT's max_window).</summary>
    public int CongestionWindow
    {
        get
        {
            lock (_gate)
            {
                return _maxWindow;
            }
        }
    }

    /// <summary>Retransmission timeouts so far.</summary>
    public long Timeouts { get; private set; }

    /// <summary>Packets sent again (fast resends and timeouts).</summary>
    public long Retransmissions { get; private set; }

    /// <summary>Bytes a write can queue now without waiting (tests drive a connection step by step with it).</summary>
    internal int WritableBytes
    {
        get
        {
            lock (_gate)
            {
                if (_state != UtpConnectionState.Connected || _finSent || _closeRequested || _failure is not null)
                {
                    return 0;
                }

                long room = Math.Min(_options.SendBuffer - _bufferedBytes, (long)(MaxWindowPackets - 1 - _windowPackets) * _options.MaxPayload);
                return (int)Math.Max(room, 0);
            }
        }
    }

    /// <summary>Received bytes held in memory: in order and unread, or held for reordering.</summary>
    internal long ReceivedBytesHeld
    {
        get
        {
            lock (_gate)
            {
                return _unread + _reorderBytes;
            }
        }
    }

    /// <summary>Completes when the handshake is done; fails when the peer never answers or resets.</summary>
    internal Task Connected => _connected.Task;

    internal bool IsGone => _state is UtpConnectionState.Closed;

    internal PipeReader Reader => _received.Reader;

    /// <summary>Queues bytes to send; returns once all are queued in packets (waiting while the send buffer is full).</summary>
    /// <exception cref="IOException">The connection was reset, timed out or closed.</exception>
    public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        while (!data.IsEmpty)
        {
            Task wait;
            lock (_gate)
            {
                ThrowIfUnwritable();
                var queued = Enqueue(data.Span);
                data = data[queued..];
                Flush(Now);
                if (data.IsEmpty)
                {
                    return;
                }

                _writable = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                wait = _writable.Task;
            }

            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Closes our side: a FIN follows what is queued and the connection is forgotten once it is acknowledged (or
    /// times out). Reads and writes in progress end.
    /// </summary>
    public void Close()
    {
        lock (_gate)
        {
            if (_closeRequested)
            {
                return;
            }

            _closeRequested = true;
            switch (_state)
            {
                case UtpConnectionState.Connected when !_finSent:
                    _finSent = true;
                    QueueControl(UtpPacketType.Fin);
                    Flush(Now);
                    WakeWriter(new IOException($"The uTP connection with {Remote} was closed by this client."));
                    break;
                case UtpConnectionState.Connected:
                    break;
                default:
                    Fail(new IOException($"The uTP connection with {Remote} was closed by this client."), sendReset: _state == UtpConnectionState.SynReceived);
                    break;
            }
        }
    }

    /// <summary>The application read <paramref name="count"/> bytes: the receive window opens again.</summary>
    internal void Consumed(int count)
    {
        lock (_gate)
        {
            _unread -= count;
            if (_state == UtpConnectionState.Connected && _lastAdvertisedWindow < _options.MaxPayload && ReceiveWindow() >= _options.MaxPayload)
            {
                // The peer stopped for a window this small; tell it at once that there is room again.
                SendAck(Now);
            }
        }
    }

    /// <summary>The application stopped reading: nothing more is handed to it, and the window stays open.</summary>
    internal void ReaderClosed()
    {
        lock (_gate)
        {
            _readerClosed = true;
            _unread = 0;
        }
    }

    /// <summary>The peer sent a RESET.</summary>
    internal void OnReset()
    {
        lock (_gate)
        {
            Fail(
                new IOException(_state == UtpConnectionState.SynSent ? $"{Remote} refused the uTP connection." : $"{Remote} reset the uTP connection."),
                sendReset: false);
        }
    }

    /// <summary>Ends the connection at once (the socket is closing): a RESET tells the peer.</summary>
    internal void Abort(Exception failure)
    {
        lock (_gate)
        {
            Fail(failure, sendReset: true);
        }
    }

    internal void Fail(Exception failure, bool sendReset)
    {
        if (_state == UtpConnectionState.Closed)
        {
            return;
        }

        if (sendReset && _state != UtpConnectionState.SynSent)
        {
            SendReset(SendId, _ackNr);
        }

        _state = UtpConnectionState.Closed;
        _failure = failure;
        _connected.TrySetException(failure);
        _received.Writer.Complete(failure);
        WakeWriter(failure);
        Release();
        _socket.Forget(this);
    }

    // The orderly end: both sides' FINs arrived and ours was acknowledged.
    private void Finish()
    {
        if (_state == UtpConnectionState.Closed)
        {
            return;
        }

        _state = UtpConnectionState.Closed;
        _failure = new IOException($"The uTP connection with {Remote} is closed.");
        _received.Writer.Complete();
        WakeWriter(_failure);
        Release();
        _socket.Forget(this);
    }

    private bool _readerClosed;

    private void ThrowIfUnwritable()
    {
        if (_failure is not null)
        {
            throw new IOException(_failure.Message, _failure);
        }

        if (_finSent || _closeRequested)
        {
            throw new IOException($"The uTP connection with {Remote} was closed by this client.");
        }

        if (_state != UtpConnectionState.Connected)
        {
            throw new InvalidOperationException("The uTP connection is not open yet.");
        }
    }

    private void WakeWriter(Exception? failure = null)
    {
        var writable = _writable;
        _writable = null;
        if (failure is null)
        {
            writable?.TrySetResult();
        }
        else
        {
            writable?.TrySetException(failure);
        }
    }

    private uint ReceiveWindow()
    {
        var free = _options.ReceiveWindow - _unread - _reorderBytes;
        return free > 0 ? (uint)free : 0;
    }

    private void Release()
    {
        for (var i = 0; i < BufferSlots; i++)
        {
            if (_outgoing[i] is { } packet)
            {
                _outgoing[i] = null;
                ArrayPool<byte>.Shared.Return(packet.Buffer);
            }
        }

        while (_spare.TryPop(out var spare))
        {
            ArrayPool<byte>.Shared.Return(spare.Buffer);
        }

        for (var i = 0; i < ReorderLimit; i++)
        {
            if (_reorder[i] is { } held)
            {
                _reorder[i] = null;
                ArrayPool<byte>.Shared.Return(held);
            }
        }

        _windowPackets = 0;
        _bufferedBytes = 0;
        _reorderCount = 0;
        _reorderBytes = 0;
    }

    private long Now => _socket.NowMicroseconds;

    private static long ToMicroseconds(TimeSpan span) => span.Ticks / 10;

    public override string ToString() => $"uTP {Remote} ({ReceiveId}/{SendId}, {State})";

    /// <summary>The connection's counters in one line, for logs and failing tests.</summary>
    public string Describe()
    {
        lock (_gate)
        {
            return $"{this}: seq {_seqNr} ack {_ackNr}, {_windowPackets} packets in the window ({_curWindow} bytes in flight, {_sentUnacked} unacknowledged, " +
                $"{_bufferedBytes} buffered, {_resendPending} to resend), cwnd {_maxWindow}, peer window {_peerWindow}, " +
                $"rtt {_rttMilliseconds:0.##} ms, rto {_rtoMicroseconds / 1000} ms, {Retransmissions} resent ({SpuriousResends} halvings undone), " +
                $"{Timeouts} timeouts ({_retransmitCount} in a row), delay {_ourDelays.Value} us, unread {_unread}, held {_reorderCount}";
        }
    }

    /// <summary>One packet we sent or will send: its bytes (header included) in a pooled buffer.</summary>
    private sealed class OutgoingPacket(byte[] buffer)
    {
        public byte[] Buffer { get; } = buffer;

        public UtpPacketType Type { get; set; }

        public int Length { get; set; }

        public int Payload { get; set; }

        public ushort Sequence { get; set; }

        public int Transmissions { get; set; }

        public bool NeedResend { get; set; }

        public long SentAt { get; set; }

        /// <summary>The fast-resend episode that resent it, or 0.</summary>
        public int FastResendEpisode { get; set; }
    }
}

/// <summary>Where a uTP connection is.</summary>
public enum UtpConnectionState
{
    /// <summary>We sent a SYN and wait for the state packet that answers it.</summary>
    SynSent,

    /// <summary>A SYN came and we answered; the opener's first data packet completes the handshake.</summary>
    SynReceived,

    /// <summary>Open both ways (possibly with a FIN sent or received).</summary>
    Connected,

    /// <summary>Finished, reset or timed out; the socket has forgotten it.</summary>
    Closed,
}
