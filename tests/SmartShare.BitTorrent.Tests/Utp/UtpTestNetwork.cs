using System.Net;
using Microsoft.Extensions.Time.Testing;
using SmartShare.BitTorrent.Utp;
using SmartShare.Testing;

namespace SmartShare.BitTorrent.Tests.Utp;

/// <summary>
/// A deterministic in-memory network for uTP under one <see cref="FakeTimeProvider"/>: sockets and hand-driven
/// endpoints exchange datagrams over one-way links, each with a delay, seeded loss, a drop rule, reordering,
/// duplication and an optional bottleneck (a rate and a queue, so that queuing delay grows when a sender
/// overdrives it). <see cref="Step"/> advances the clock (the sockets' timers fire in it) and then delivers every
/// datagram due, a burst per socket, ending each burst with <see cref="UtpSocket.ReceiveBurstEnded"/>.
/// </summary>
internal sealed class UtpTestNetwork : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly PriorityQueue<InFlight, (long At, long Order)> _inFlight = new();
    private readonly Dictionary<IPEndPoint, UtpSocket> _sockets = [];
    private readonly Dictionary<IPEndPoint, RawEndpoint> _raw = [];
    private readonly Dictionary<(IPEndPoint From, IPEndPoint To), UtpLink> _links = [];
    private readonly DeterministicRandomSource _random;
    private long _order;
    private int _nextHost = 1;

    public UtpTestNetwork(ulong seed = 1)
    {
        _random = new DeterministicRandomSource(seed);
    }

    public PeriodCountingTime Time { get; } = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    /// <summary>Every datagram sent (after loss): who, to whom, and its header if it parsed.</summary>
    public List<SentDatagram> Log { get; } = [];

    /// <summary>Whether to keep <see cref="Log"/> (long runs turn it off).</summary>
    public bool Logging { get; set; } = true;

    public long NowMicroseconds => Time.GetUtcNow().Ticks / 10;

    /// <summary>A socket at the next address (10.0.0.n:6881).</summary>
    public UtpSocket AddSocket(UtpOptions? options = null, ulong seed = 7, IRandomSource? random = null)
    {
        var endPoint = NextEndPoint();
        var socket = new UtpSocket(new Sender(this, endPoint), endPoint, random ?? new DeterministicRandomSource(seed + (ulong)_nextHost), options, Time);
        lock (_gate)
        {
            _sockets[endPoint] = socket;
        }

        return socket;
    }

    /// <summary>An endpoint the test drives by hand: it reads what arrives and sends what it likes.</summary>
    public RawEndpoint AddRaw()
    {
        var raw = new RawEndpoint(this, NextEndPoint());
        lock (_gate)
        {
            _raw[raw.EndPoint] = raw;
        }

        return raw;
    }

    /// <summary>The one-way link from <paramref name="from"/> to <paramref name="to"/> (created ideal: no delay, no loss).</summary>
    public UtpLink Link(IPEndPoint from, IPEndPoint to)
    {
        lock (_gate)
        {
            if (!_links.TryGetValue((from, to), out var link))
            {
                link = new UtpLink();
                _links[(from, to)] = link;
            }

            return link;
        }
    }

    /// <summary>Sets both directions between two endpoints alike.</summary>
    public void Configure(IPEndPoint a, IPEndPoint b, Action<UtpLink> configure)
    {
        configure(Link(a, b));
        configure(Link(b, a));
    }

    /// <summary>A datagram from anywhere, delivered in the next step, through no link.</summary>
    public void Inject(byte[] datagram, IPEndPoint source, IPEndPoint destination)
    {
        lock (_gate)
        {
            _inFlight.Enqueue(new InFlight(source, destination, datagram), (Time.GetUtcNow().Ticks, _order++));
        }
    }

    /// <summary>Advances the clock by <paramref name="step"/> and delivers what is due.</summary>
    public void Step(TimeSpan step)
    {
        Time.Advance(step);
        DeliverDue();
    }

    /// <summary>Steps until <paramref name="done"/> holds; false if <paramref name="limit"/> of simulated time passed first.</summary>
    public bool RunUntil(Func<bool> done, TimeSpan limit, Action? eachStep = null, TimeSpan? step = null)
    {
        var end = Time.GetUtcNow() + limit;
        while (!done())
        {
            if (Time.GetUtcNow() >= end)
            {
                return false;
            }

            Step(step ?? TimeSpan.FromMilliseconds(1));
            eachStep?.Invoke();
        }

        return true;
    }

    /// <summary>Steps for <paramref name="span"/> of simulated time.</summary>
    public void Run(TimeSpan span, Action? eachStep = null, TimeSpan? step = null) => RunUntil(() => false, span, eachStep, step);

    public async ValueTask DisposeAsync()
    {
        foreach (var socket in _sockets.Values)
        {
            await socket.DisposeAsync();
        }
    }

    private IPEndPoint NextEndPoint() => new(IPAddress.Parse($"10.0.0.{_nextHost++}"), 6881);

    private void DeliverDue()
    {
        // Datagrams sent while delivering (zero-delay replies) are due too; a bound keeps a ping-pong finite.
        for (var round = 0; round < 1000; round++)
        {
            var due = new List<InFlight>();
            var now = Time.GetUtcNow().Ticks;
            lock (_gate)
            {
                while (_inFlight.TryPeek(out _, out var key) && key.At <= now)
                {
                    due.Add(_inFlight.Dequeue());
                }
            }

            if (due.Count == 0)
            {
                return;
            }

            var bursts = new List<UtpSocket>();
            foreach (var datagram in due)
            {
                if (_sockets.TryGetValue(datagram.To, out var socket))
                {
                    socket.Receive(datagram.Bytes, datagram.From);
                    if (!bursts.Contains(socket))
                    {
                        bursts.Add(socket);
                    }
                }
                else if (_raw.TryGetValue(datagram.To, out var raw))
                {
                    raw.Arrived(datagram.Bytes, datagram.From);
                }
            }

            foreach (var socket in bursts)
            {
                socket.ReceiveBurstEnded();
            }
        }
    }

    private void Transmit(ReadOnlySpan<byte> bytes, IPEndPoint from, IPEndPoint to)
    {
        UtpHeader? header = null;
        try
        {
            header = UtpCodec.Read(bytes).Header;
        }
        catch (UtpFormatException)
        {
        }

        lock (_gate)
        {
            var link = _links.TryGetValue((from, to), out var configured) ? configured : null;
            var now = Time.GetUtcNow().Ticks;
            var departure = now;
            if (link is not null)
            {
                link.Offered++;
                if (header is { } parsed && link.Drop?.Invoke(parsed, bytes.Length) == true)
                {
                    link.Dropped++;
                    return;
                }

                if (link.Loss > 0 && _random.NextDouble() < link.Loss)
                {
                    link.Dropped++;
                    return;
                }

                if (link.RateBytesPerSecond > 0)
                {
                    var start = Math.Max(now, link.BusyUntil);
                    var queued = (start - now) * link.RateBytesPerSecond / TimeSpan.TicksPerSecond;
                    if (queued + bytes.Length > link.QueueBytes)
                    {
                        link.QueueDrops++;
                        return;
                    }

                    link.BusyUntil = start + (bytes.Length * TimeSpan.TicksPerSecond / link.RateBytesPerSecond);
                    link.QueueDelays.Add((Time.GetUtcNow(), TimeSpan.FromTicks(start - now)));
                    departure = link.BusyUntil;
                }

                departure += link.Delay.Ticks;
                link.Delivered += bytes.Length;
            }

            var copy = bytes.ToArray();
            var at = departure;
            if (link is not null && link.Reorder > 0 && _random.NextDouble() < link.Reorder)
            {
                at += (long)(_random.NextDouble() * link.ReorderJitter.Ticks);
            }

            _inFlight.Enqueue(new InFlight(from, to, copy), (at, _order++));
            if (link is not null && link.Duplicate > 0 && _random.NextDouble() < link.Duplicate)
            {
                _inFlight.Enqueue(new InFlight(from, to, copy), (at + TimeSpan.TicksPerMillisecond, _order++));
            }

            if (Logging)
            {
                Log.Add(new SentDatagram(Time.GetUtcNow(), from, to, header, bytes.Length));
            }
        }
    }

    private sealed record InFlight(IPEndPoint From, IPEndPoint To, byte[] Bytes);

    private sealed class Sender(UtpTestNetwork network, IPEndPoint local) : IUtpDatagramSender
    {
        public void Send(ReadOnlySpan<byte> datagram, IPEndPoint destination) => network.Transmit(datagram, local, destination);
    }

    /// <summary>An endpoint driven by the test: what arrived waits in <see cref="Take"/>; <see cref="Send"/> sends.</summary>
    internal sealed class RawEndpoint(UtpTestNetwork network, IPEndPoint endPoint)
    {
        private readonly List<(byte[] Bytes, IPEndPoint From)> _arrived = [];

        public IPEndPoint EndPoint { get; } = endPoint;

        /// <summary>Datagrams arrived and not yet taken.</summary>
        public int Pending => _arrived.Count;

        /// <summary>Everything that arrived since the last call, parsed (datagrams that do not parse are skipped).</summary>
        public List<RawPacket> Take()
        {
            var packets = new List<RawPacket>();
            foreach (var (bytes, from) in _arrived)
            {
                var packet = UtpCodec.Read(bytes);
                packets.Add(new RawPacket(packet.Header, packet.SelectiveAck.ToArray(), packet.Payload.ToArray(), from));
            }

            _arrived.Clear();
            return packets;
        }

        public void Send(IPEndPoint to, UtpHeader header, ReadOnlySpan<byte> selectiveAck = default, ReadOnlySpan<byte> payload = default)
        {
            var buffer = new byte[UtpCodec.Length(selectiveAck.Length, payload.Length)];
            UtpCodec.Write(buffer, header, selectiveAck, payload);
            network.Transmit(buffer, EndPoint, to);
        }

        internal void Arrived(byte[] bytes, IPEndPoint from) => _arrived.Add((bytes, from));
    }
}

/// <summary>One direction of a link: what happens to a datagram on its way.</summary>
internal sealed class UtpLink
{
    /// <summary>One-way propagation delay.</summary>
    public TimeSpan Delay { get; set; }

    /// <summary>The chance a datagram is lost (seeded).</summary>
    public double Loss { get; set; }

    /// <summary>Drops every datagram it returns true for (header, length), before anything else.</summary>
    public Func<UtpHeader, int, bool>? Drop { get; set; }

    /// <summary>The chance a datagram is held back by up to <see cref="ReorderJitter"/>, so later ones overtake it.</summary>
    public double Reorder { get; set; }

    public TimeSpan ReorderJitter { get; set; } = TimeSpan.FromMilliseconds(20);

    /// <summary>The chance a datagram arrives twice.</summary>
    public double Duplicate { get; set; }

    /// <summary>The bottleneck's rate (0: none).</summary>
    public long RateBytesPerSecond { get; set; }

    /// <summary>The bottleneck's queue: a datagram that finds this many bytes waiting is dropped.</summary>
    public long QueueBytes { get; set; } = long.MaxValue;

    /// <summary>Each datagram's wait in the bottleneck queue, by when it entered.</summary>
    public List<(DateTimeOffset At, TimeSpan Wait)> QueueDelays { get; } = [];

    public long Offered { get; set; }

    public long Dropped { get; set; }

    public long QueueDrops { get; set; }

    /// <summary>Bytes that left the link's sender side (not dropped).</summary>
    public long Delivered { get; set; }

    internal long BusyUntil { get; set; }
}

internal sealed record SentDatagram(DateTimeOffset At, IPEndPoint From, IPEndPoint To, UtpHeader? Header, int Length);

internal sealed record RawPacket(UtpHeader Header, byte[] SelectiveAck, byte[] Payload, IPEndPoint From);

/// <summary>The test's side of one connection with a <see cref="UtpTestNetwork.RawEndpoint"/>: it forges the peer's packets.</summary>
internal sealed class RawSession(UtpTestNetwork network, UtpTestNetwork.RawEndpoint raw, IPEndPoint ours, ushort connectionId, ushort sequence)
{
    /// <summary>The one-way delay the peer reports back (constant: no queuing, so LEDBAT lets the window grow).</summary>
    public const uint ReportedDelay = 1000;

    public UtpTestNetwork.RawEndpoint Raw { get; } = raw;

    /// <summary>The id the peer's packets carry (our connection's receive id).</summary>
    public ushort ConnectionId { get; } = connectionId;

    /// <summary>The peer's next sequence number.</summary>
    public ushort Sequence { get; set; } = sequence;

    public uint Window { get; set; } = 1 << 20;

    /// <summary>Opens a connection from <paramref name="socket"/> to <paramref name="raw"/>; the raw side answers the SYN.</summary>
    public static async Task<(UtpConnection Connection, RawSession Session)> ConnectAsync(UtpTestNetwork network, UtpSocket socket, UtpTestNetwork.RawEndpoint raw)
    {
        var connecting = socket.ConnectAsync(raw.EndPoint, CancellationToken.None);
        Assert.True(network.RunUntil(() => raw.Pending > 0, TimeSpan.FromSeconds(5)));
        var syn = Assert.Single(raw.Take());
        Assert.Equal(UtpPacketType.Syn, syn.Header.Type);
        var session = new RawSession(network, raw, socket.LocalEndPoint, syn.Header.ConnectionId, 5000);
        session.Send(UtpPacketType.State, syn.Header.SequenceNumber);
        return (await UtpTestApp.StepUntilAsync(network, connecting), session);
    }

    public void Send(UtpPacketType type, ushort ackNumber, ReadOnlySpan<byte> selectiveAck = default, ReadOnlySpan<byte> payload = default, ushort? sequence = null, uint? window = null)
    {
        var header = new UtpHeader(type, ConnectionId, (uint)network.NowMicroseconds, ReportedDelay, window ?? Window, sequence ?? Sequence, ackNumber);
        Raw.Send(ours, header, selectiveAck, payload);
    }
}

/// <summary>A fake clock that counts its timers set to fire periodically now (a uTP socket's tick timer is its only one).</summary>
internal sealed class PeriodCountingTime(DateTimeOffset start) : FakeTimeProvider(start)
{
    private int _periodic;

    public int PeriodicTimers => Volatile.Read(ref _periodic);

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new Counted(this, base.CreateTimer(callback, state, dueTime, period));
        timer.Note(dueTime, period);
        return timer;
    }

    private sealed class Counted(PeriodCountingTime owner, ITimer inner) : ITimer
    {
        private bool _periodic;

        public void Note(TimeSpan dueTime, TimeSpan period)
        {
            var periodic = dueTime != Timeout.InfiniteTimeSpan && period != Timeout.InfiniteTimeSpan && period > TimeSpan.Zero;
            lock (this)
            {
                if (periodic != _periodic)
                {
                    _periodic = periodic;
                    Interlocked.Add(ref owner._periodic, periodic ? 1 : -1);
                }
            }
        }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            Note(dueTime, period);
            return inner.Change(dueTime, period);
        }

        public void Dispose()
        {
            Note(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            inner.Dispose();
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
