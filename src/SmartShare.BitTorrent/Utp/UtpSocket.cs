using System.Collections.Concurrent;
using System.Net;
using System.Threading.Channels;
using SmartShare.Networking;

namespace SmartShare.BitTorrent.Utp;

/// <summary>Where a <see cref="UtpSocket"/> sends its datagrams: the UDP socket it shares, or a test's network.</summary>
public interface IUtpDatagramSender
{
    /// <summary>Sends one datagram; a failure is a lost packet, never an exception.</summary>
    void Send(ReadOnlySpan<byte> datagram, IPEndPoint destination);
}

/// <summary>
/// uTP (BEP 29) on one UDP port: it matches each datagram to its connection by source address and connection id,
/// opens connections (<see cref="ConnectAsync"/>) and accepts them (<see cref="AcceptAsync"/>), answers packets of
/// unknown connections with a RESET, and runs one timer for every connection's timeouts. It owns no socket: the
/// owner hands it datagrams (<see cref="Receive"/>, then <see cref="ReceiveBurstEnded"/> once no more are waiting, when
/// the deferred ACKs go out) and gives it a sender, so uTP shares the BitTorrent UDP port with the Mainline DHT.
/// </summary>
/// <remarks>
/// Hostile input: a datagram that is not a valid packet is counted and dropped; a packet of no known connection
/// costs no state (a RESET answers it, rate-limited per address); SYNs are rate-limited per address and the
/// connections a SYN opened but no data followed are capped (<see cref="UtpOptions.MaxHalfOpen"/>), as are all
/// connections (<see cref="UtpOptions.MaxConnections"/>).
/// </remarks>
public sealed class UtpSocket : IAsyncDisposable
{
    // Wire timestamps start here rather than at zero, which means "no timestamp" to libutp.
    private const long EpochMicroseconds = 1_000_000;

    private readonly IUtpDatagramSender _sender;
    private readonly TimeProvider _time;
    private readonly IRandomSource _random;
    private readonly long _epoch;
    private readonly ConcurrentDictionary<ConnectionKey, UtpConnection> _connections = new();
    private readonly ConcurrentDictionary<UtpConnection, byte> _halfOpen = new();
    private readonly ConcurrentQueue<UtpConnection> _acks = new();
    private readonly Channel<UtpConnection> _accepted;
    private readonly SourceRateLimiter _limiter;
    private readonly ITimer _timer;
    private readonly Lock _tickingLock = new();
    private bool _ticking; // under _tickingLock: the tick timer is set (some connection is open or opening)
    private readonly ITimer _heldAckTimer;
    private readonly Lock _heldAcksLock = new();
    private readonly List<(UtpConnection Connection, long Due)> _heldAcks = [];
    private long _heldAckTimerDue = long.MaxValue;
    private volatile bool _accepting;
    private int _disposed;
    private long _malformed;
    private long _refused;
    private long _resetsSent;
    private long _closedResent;
    private long _closedUndone;
    private long _closedTimeouts;
    private long _opened;

    public UtpSocket(IUtpDatagramSender sender, IPEndPoint localEndPoint, IRandomSource random, UtpOptions? options = null, TimeProvider? time = null)
    {
        _sender = sender ?? throw new ArgumentNullException(nameof(sender));
        LocalEndPoint = localEndPoint ?? throw new ArgumentNullException(nameof(localEndPoint));
        _random = random ?? throw new ArgumentNullException(nameof(random));
        Options = options ?? UtpOptions.Default;
        _time = time ?? TimeProvider.System;
        _epoch = _time.GetTimestamp();
        _accepted = Channel.CreateBounded<UtpConnection>(new BoundedChannelOptions(Options.AcceptBacklog) { FullMode = BoundedChannelFullMode.Wait });
        _limiter = new SourceRateLimiter(_time, Options.SynsPerSecondPerAddress, Options.SynBurstPerAddress, maxSources: 4096);
        _timer = _time.CreateTimer(static state => ((UtpSocket)state!).TickAll(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _heldAckTimer = _time.CreateTimer(static state => ((UtpSocket)state!).FlushHeldAcks(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    public IPEndPoint LocalEndPoint { get; }

    public UtpOptions Options { get; }

    /// <summary>Connections open or opening.</summary>
    public int ConnectionCount => _connections.Count;

    /// <summary>The connections open or opening now (for diagnostics: see <see cref="UtpConnection.Describe"/>).</summary>
    public IReadOnlyCollection<UtpConnection> Connections => [.. _connections.Values];

    /// <summary>Connections opened since the start, both ways (handshake completed).</summary>
    public long ConnectionsOpened => Interlocked.Read(ref _opened);

    /// <summary>Datagrams that looked like uTP and were not valid packets.</summary>
    public long Malformed => Interlocked.Read(ref _malformed);

    /// <summary>SYNs refused: over the rate limit, the half-open cap or the connection cap, or nobody accepting.</summary>
    public long Refused => Interlocked.Read(ref _refused);

    /// <summary>RESETs sent for packets of no known connection.</summary>
    public long ResetsSent => Interlocked.Read(ref _resetsSent);

    /// <summary>Packets sent again (fast resends and timeouts), over every connection since the start.</summary>
    public long PacketsResent => Interlocked.Read(ref _closedResent) + _connections.Values.Sum(c => c.Retransmissions);

    /// <summary>Window halvings taken back because the "lost" packets had only come late, since the start.</summary>
    public long HalvingsUndone => Interlocked.Read(ref _closedUndone) + _connections.Values.Sum(c => c.SpuriousResends);

    /// <summary>Retransmission timeouts, over every connection since the start.</summary>
    public long Timeouts => Interlocked.Read(ref _closedTimeouts) + _connections.Values.Sum(c => c.Timeouts);

    /// <summary>Told each connection's counters (<see cref="UtpConnection.Describe"/>) when it closes, for a debug log.</summary>
    public Action<string>? Log { get; set; }

    internal long NowMicroseconds => EpochMicroseconds + (_time.GetElapsedTime(_epoch).Ticks / 10);

    /// <summary>Opens a connection to <paramref name="remote"/>; completes once the peer answered the SYN.</summary>
    /// <exception cref="IOException">The peer reset the attempt or never answered.</exception>
    /// <exception cref="OperationCanceledException">Cancelled.</exception>
    public async Task<UtpConnection> ConnectAsync(IPEndPoint remote, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(remote);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        UtpConnection connection;
        while (true)
        {
            var receiveId = RandomUInt16();
            connection = new UtpConnection(this, remote, receiveId, (ushort)(receiveId + 1), NowMicroseconds);
            if (_connections.TryAdd(new ConnectionKey(remote, receiveId), connection))
            {
                StartTicking();
                break;
            }
        }

        connection.StartConnect(RandomUInt16());
        try
        {
            await connection.Connected.WaitAsync(cancellationToken).ConfigureAwait(false);
            Interlocked.Increment(ref _opened);
            return connection;
        }
        catch
        {
            connection.Close();
            throw;
        }
    }

    /// <summary>Starts taking incoming connections (until then SYNs are answered with a RESET).</summary>
    public void StartAccepting() => _accepting = true;

    /// <summary>Stops taking incoming connections.</summary>
    public void StopAccepting() => _accepting = false;

    /// <summary>Waits for the next incoming connection whose opener sent its first data.</summary>
    public async Task<UtpConnection> AcceptAsync(CancellationToken cancellationToken) =>
        await _accepted.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);

    /// <summary>Handles one datagram from <paramref name="source"/> that <see cref="UtpCodec.LooksLikeUtp"/> accepted.</summary>
    public void Receive(ReadOnlySpan<byte> datagram, IPEndPoint source)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (Volatile.Read(ref _disposed) != 0)
        {
            return;
        }

        UtpPacket packet;
        try
        {
            packet = UtpCodec.Read(datagram);
        }
        catch (UtpFormatException)
        {
            Interlocked.Increment(ref _malformed);
            return;
        }

        var header = packet.Header;
        var id = header.ConnectionId;
        switch (header.Type)
        {
            case UtpPacketType.Reset:
                // The id is our receive id, or our send id (one above or below it).
                FindReset(source, id)?.OnReset();
                return;

            case UtpPacketType.Syn:
                ReceiveSyn(header, source);
                return;

            default:
                if (Find(source, id) is { } connection)
                {
                    connection.Receive(header, packet.SelectiveAck, packet.Payload);
                }
                else
                {
                    RefuseStray(source, id, header.SequenceNumber);
                }

                return;
        }
    }

    /// <summary>No more datagrams are waiting: send the ACKs the burst deferred.</summary>
    public void ReceiveBurstEnded()
    {
        while (_acks.TryDequeue(out var connection))
        {
            connection.FlushAck();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _timer.DisposeAsync().ConfigureAwait(false);
        await _heldAckTimer.DisposeAsync().ConfigureAwait(false);
        _accepted.Writer.TryComplete();
        foreach (var connection in _connections.Values)
        {
            connection.Abort(new IOException("The uTP socket was closed."));
        }

        while (_accepted.Reader.TryRead(out var unaccepted))
        {
            unaccepted.Abort(new IOException("The uTP socket was closed."));
        }
    }

    internal void Send(ReadOnlySpan<byte> datagram, IPEndPoint destination) => _sender.Send(datagram, destination);

    internal void ScheduleAck(UtpConnection connection) => _acks.Enqueue(connection);

    /// <summary>Calls <see cref="UtpConnection.FlushHeldAck"/> once <paramref name="dueMicroseconds"/> (socket time) has come.</summary>
    internal void ScheduleAckAt(UtpConnection connection, long dueMicroseconds)
    {
        lock (_heldAcksLock)
        {
            _heldAcks.Add((connection, dueMicroseconds));
            if (dueMicroseconds < _heldAckTimerDue)
            {
                ArmHeldAckTimer(dueMicroseconds);
            }
        }
    }

    private void ArmHeldAckTimer(long dueMicroseconds)
    {
        _heldAckTimerDue = dueMicroseconds;
        var wait = Math.Max(0, dueMicroseconds - NowMicroseconds);
        _heldAckTimer.Change(TimeSpan.FromTicks(wait * 10), Timeout.InfiniteTimeSpan);
    }

    private void FlushHeldAcks()
    {
        List<UtpConnection> due = [];
        lock (_heldAcksLock)
        {
            var now = NowMicroseconds;
            var next = long.MaxValue;
            for (var i = _heldAcks.Count - 1; i >= 0; i--)
            {
                if (_heldAcks[i].Due <= now)
                {
                    due.Add(_heldAcks[i].Connection);
                    _heldAcks.RemoveAt(i);
                }
                else
                {
                    next = Math.Min(next, _heldAcks[i].Due);
                }
            }

            _heldAckTimerDue = long.MaxValue;
            if (next != long.MaxValue)
            {
                ArmHeldAckTimer(next);
            }
        }

        foreach (var connection in due)
        {
            connection.FlushHeldAck();
        }
    }

    internal void Accepted(UtpConnection connection)
    {
        _halfOpen.TryRemove(connection, out _);
        Interlocked.Increment(ref _opened);
        if (!_accepting || !_accepted.Writer.TryWrite(connection))
        {
            connection.Fail(new IOException($"uTP connection from {connection.Remote} refused: nobody is accepting."), sendReset: true);
        }
    }

    internal void Forget(UtpConnection connection)
    {
        _halfOpen.TryRemove(connection, out _);
        if (_connections.TryRemove(new KeyValuePair<ConnectionKey, UtpConnection>(new ConnectionKey(connection.Remote, connection.ReceiveId), connection)))
        {
            Interlocked.Add(ref _closedResent, connection.Retransmissions);
            Interlocked.Add(ref _closedUndone, connection.SpuriousResends);
            Interlocked.Add(ref _closedTimeouts, connection.Timeouts);
            Log?.Invoke($"closed {connection.Describe()}");
        }
    }

    private void ReceiveSyn(in UtpHeader header, IPEndPoint source)
    {
        var receiveId = (ushort)(header.ConnectionId + 1);
        if (Find(source, receiveId) is { } existing)
        {
            existing.Receive(header, [], []);
            return;
        }

        if (!_accepting)
        {
            // Nobody takes uTP here (the node runs TCP only): a RESET lets a peer that dials uTP first fall back to
            // TCP at once instead of after its SYN timeouts.
            Interlocked.Increment(ref _refused);
            RefuseStray(source, header.ConnectionId, header.SequenceNumber);
            return;
        }

        if (_connections.Count >= Options.MaxConnections || _halfOpen.Count >= Options.MaxHalfOpen || !_limiter.TryAccept(source.Address))
        {
            // Over a limit: silence (an answer would let a flood of forged SYNs aim our RESETs at someone).
            Interlocked.Increment(ref _refused);
            return;
        }

        var connection = new UtpConnection(this, source, receiveId, header.ConnectionId, NowMicroseconds);
        if (!_connections.TryAdd(new ConnectionKey(source, receiveId), connection))
        {
            return;
        }

        StartTicking();
        _halfOpen[connection] = 0;
        connection.StartAccept(header.SequenceNumber, RandomUInt16());
    }

    // A packet of no connection we know: a RESET tells the sender to stop (libutp), within the per-address budget.
    private void RefuseStray(IPEndPoint source, ushort id, ushort sequence)
    {
        if (!_limiter.TryAccept(source.Address))
        {
            return;
        }

        Span<byte> datagram = stackalloc byte[UtpCodec.HeaderLength];
        var header = new UtpHeader(UtpPacketType.Reset, id, (uint)NowMicroseconds, 0, 0, RandomUInt16(), sequence);
        UtpCodec.Write(datagram, header, [], []);
        Interlocked.Increment(ref _resetsSent);
        _sender.Send(datagram, source);
    }

    private UtpConnection? FindReset(IPEndPoint source, ushort id)
    {
        if (Find(source, id) is { } mine)
        {
            return mine;
        }

        if (Find(source, (ushort)(id + 1)) is { } up && up.SendId == id)
        {
            return up;
        }

        return Find(source, (ushort)(id - 1)) is { } down && down.SendId == id ? down : null;
    }

    private UtpConnection? Find(IPEndPoint source, ushort receiveId) =>
        _connections.TryGetValue(new ConnectionKey(source, receiveId), out var connection) ? connection : null;

    // Ticks every connection every TickInterval while there is one: an idle node's socket sets no timer (it woke the
    // process 20 times a second with nothing to do).
    private void TickAll()
    {
        foreach (var connection in _connections.Values)
        {
            connection.Tick();
        }

        if (_connections.IsEmpty)
        {
            // Under the lock a connection's StartTicking takes after adding it: either it was added before this check
            // (so the timer keeps going) or it starts the timer again after.
            lock (_tickingLock)
            {
                if (_ticking && _connections.IsEmpty && Volatile.Read(ref _disposed) == 0)
                {
                    _ticking = false;
                    _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
                }
            }
        }
    }

    // After a connection is added: the tick timer runs.
    private void StartTicking()
    {
        lock (_tickingLock)
        {
            if (!_ticking && Volatile.Read(ref _disposed) == 0)
            {
                _ticking = true;
                _timer.Change(Options.TickInterval, Options.TickInterval);
            }
        }
    }

    private ushort RandomUInt16()
    {
        Span<byte> bytes = stackalloc byte[2];
        _random.Fill(bytes);
        return (ushort)((bytes[0] << 8) | bytes[1]);
    }

    private readonly record struct ConnectionKey(IPEndPoint Remote, ushort ReceiveId);
}
