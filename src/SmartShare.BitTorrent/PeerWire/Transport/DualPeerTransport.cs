using System.Net;
using System.Net.Sockets;
using System.Runtime.ExceptionServices;

namespace SmartShare.BitTorrent.PeerWire.Transport;

/// <summary>Which transports peers are dialed and accepted over (the node's <c>bt_transport</c>).</summary>
public enum PeerTransportMode
{
    /// <summary>uTP and TCP: accept both; dial uTP first and TCP after a head start, as libtorrent does.</summary>
    Both,

    /// <summary>TCP only.</summary>
    Tcp,

    /// <summary>uTP only.</summary>
    Utp,
}

/// <summary>
/// TCP and uTP behind one <see cref="IPeerTransport"/>. In <see cref="PeerTransportMode.Both"/> it listens on both
/// (one listener handing out the connections of either) and dials happy-eyeballs style: the transport the peer last
/// answered on first (for a peer not met yet, uTP, or TCP for a peer on this machine: loopback has no link for LEDBAT
/// to share, and the kernel's TCP costs less CPU per byte than uTP), the other one too once the first has failed or not connected
/// within <see cref="HeadStart"/> (<see cref="LocalHeadStart"/> for a peer on loopback or the LAN); the first connection made wins and the other attempt is cancelled (closed if it
/// connects anyway). Which one answered is remembered per address (<see cref="MemorySize"/> addresses at most), so a
/// peer that refused uTP or let it time out is dialed on TCP first next time. uTP runs on sockets the owner binds
/// (<see cref="AddUtp"/>, one per address family); a family without one uses TCP alone.
/// </summary>
public sealed class DualPeerTransport : IPeerTransport
{
    /// <summary>libtorrent's head start of uTP over TCP, about half a second.</summary>
    public static readonly TimeSpan DefaultHeadStart = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// The head start for a peer on this machine or its LAN (loopback, private, link-local, unique-local), whose
    /// round trip is well under a millisecond: a uTP peer has answered long before it, and a peer that speaks only
    /// TCP (libtorrent with uTP off, most LAN boxes) is not kept waiting half a second for its first byte.
    /// </summary>
    public static readonly TimeSpan LocalHeadStart = TimeSpan.FromMilliseconds(50);

    private readonly IPeerTransport _tcp;
    private readonly TimeProvider _time;
    private readonly PeerTransportMemory _memory;
    private readonly Lock _lock = new();
    private readonly Dictionary<AddressFamily, IPeerTransport> _utp = [];

    /// <param name="tcp">The TCP side.</param>
    /// <param name="mode">Which transports are used.</param>
    /// <param name="headStart">How long the first transport dialed has before the other is dialed too; default <see cref="DefaultHeadStart"/>.</param>
    /// <param name="memorySize">Peer addresses whose transport is remembered.</param>
    /// <param name="time">The clock of the head start.</param>
    public DualPeerTransport(IPeerTransport tcp, PeerTransportMode mode, TimeSpan? headStart = null, int memorySize = 4096, TimeProvider? time = null)
    {
        _tcp = tcp ?? throw new ArgumentNullException(nameof(tcp));
        Mode = mode;
        HeadStart = headStart ?? DefaultHeadStart;
        ArgumentOutOfRangeException.ThrowIfLessThan(HeadStart, TimeSpan.Zero, nameof(headStart));
        _memory = new PeerTransportMemory(memorySize);
        _time = time ?? TimeProvider.System;
    }

    public PeerTransportMode Mode { get; }

    public TimeSpan HeadStart { get; }

    public int MemorySize => _memory.Capacity;

    /// <summary>Peer addresses whose transport is remembered now.</summary>
    public int Remembered => _memory.Count;

    /// <summary>Adds the uTP side for the family of its socket (a second call for one family replaces the first).</summary>
    public void AddUtp(IPeerTransport utp, AddressFamily family)
    {
        ArgumentNullException.ThrowIfNull(utp);
        lock (_lock)
        {
            _utp[family] = utp;
        }
    }

    /// <summary>"tcp" or "utp" when <paramref name="peer"/> answered one of them last, else null.</summary>
    public string? RememberedTransport(IPEndPoint peer) =>
        _memory.AnsweredOnTcp(peer ?? throw new ArgumentNullException(nameof(peer))) switch { true => "tcp", false => "utp", null => null };

    public async ValueTask<IPeerLink> ConnectAsync(IPEndPoint remote, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(remote);
        var utp = UtpFor(remote.Address);
        switch (Mode)
        {
            case PeerTransportMode.Tcp:
                return await _tcp.ConnectAsync(remote, cancellationToken).ConfigureAwait(false);
            case PeerTransportMode.Utp:
                return utp is null
                    ? throw new SocketException((int)SocketError.AddressFamilyNotSupported, $"No uTP socket for {remote.AddressFamily} addresses such as {remote}.")
                    : await utp.ConnectAsync(remote, cancellationToken).ConfigureAwait(false);
        }

        if (utp is null)
        {
            return await _tcp.ConnectAsync(remote, cancellationToken).ConfigureAwait(false);
        }

        var tcpFirst = _memory.AnsweredOnTcp(remote) ?? IsThisMachine(remote.Address);
        var (link, winner) = await RaceAsync(tcpFirst ? _tcp : utp, tcpFirst ? utp : _tcp, remote, cancellationToken).ConfigureAwait(false);
        _memory.Remember(remote, tcp: ReferenceEquals(winner, _tcp));
        return link;
    }

    public IPeerListener Listen(IPEndPoint local)
    {
        ArgumentNullException.ThrowIfNull(local);
        var utp = UtpFor(local.Address);
        switch (Mode)
        {
            case PeerTransportMode.Tcp:
                return _tcp.Listen(local);
            case PeerTransportMode.Utp:
                return utp is null
                    ? throw new SocketException((int)SocketError.AddressFamilyNotSupported, $"No uTP socket for {local.AddressFamily} addresses such as {local}.")
                    : utp.Listen(local);
        }

        var tcp = _tcp.Listen(local);
        if (utp is null)
        {
            return tcp;
        }

        try
        {
            return new MergedPeerListener(tcp, utp.Listen(local));
        }
        catch
        {
            tcp.DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw;
        }
    }

    private static async Task DiscardAsync(Task<IPeerLink> attempt)
    {
        try
        {
            var late = await attempt.ConfigureAwait(false);
            await late.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or IOException or ObjectDisposedException)
        {
            // The losing attempt failed or was cancelled: nothing to close.
        }
    }

    /// <summary>
    /// The transport <paramref name="peer"/> last answered on took the connection, but the peer closed it in the
    /// handshake: the next dial tries the other transport first. The race sees only the connect, and a peer may accept
    /// a transport it does not talk on (libtorrent with incoming TCP off still accepts TCP connections, then closes them).
    /// </summary>
    public void TryOtherFirst(IPEndPoint peer)
    {
        ArgumentNullException.ThrowIfNull(peer);
        if (Mode == PeerTransportMode.Both && UtpFor(peer.Address) is not null && _memory.AnsweredOnTcp(peer) is { } tcp)
        {
            _memory.Remember(peer, tcp: !tcp);
        }
    }

    private static bool IsThisMachine(IPAddress address) =>
        IPAddress.IsLoopback(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address);

    /// <summary>How long the first transport dialed to <paramref name="address"/> has before the other is dialed too.</summary>
    public TimeSpan HeadStartFor(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        var local = Dht.DhtAddressPolicy.IsLocal(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address);
        return local && LocalHeadStart < HeadStart ? LocalHeadStart : HeadStart;
    }

    private IPeerTransport? UtpFor(IPAddress address)
    {
        var family = address.IsIPv4MappedToIPv6 ? AddressFamily.InterNetwork : address.AddressFamily;
        lock (_lock)
        {
            return _utp.GetValueOrDefault(family);
        }
    }

    // Dials first, then second too once first failed or HeadStart passed; the first link made wins.
    private async Task<(IPeerLink Link, IPeerTransport Winner)> RaceAsync(IPeerTransport first, IPeerTransport second, IPEndPoint remote, CancellationToken cancellationToken)
    {
        using var race = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var firstAttempt = first.ConnectAsync(remote, race.Token).AsTask();
        using (var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            var headStart = Task.Delay(HeadStartFor(remote.Address), _time, wait.Token);
            await Task.WhenAny(firstAttempt, headStart).ConfigureAwait(false);
            await wait.CancelAsync().ConfigureAwait(false);
        }

        if (firstAttempt.IsCompletedSuccessfully)
        {
            return (firstAttempt.Result, first);
        }

        if (cancellationToken.IsCancellationRequested)
        {
            await race.CancelAsync().ConfigureAwait(false);
            await DiscardAsync(firstAttempt).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
        }

        var secondAttempt = second.ConnectAsync(remote, race.Token).AsTask();
        var pending = new List<Task<IPeerLink>> { secondAttempt };
        if (!firstAttempt.IsCompleted)
        {
            pending.Add(firstAttempt);
        }

        while (pending.Count > 0)
        {
            var done = await Task.WhenAny(pending).ConfigureAwait(false);
            pending.Remove(done);
            if (done.IsCompletedSuccessfully)
            {
                await race.CancelAsync().ConfigureAwait(false);
                foreach (var loser in pending)
                {
                    _ = DiscardAsync(loser);
                }

                return (done.Result, done == firstAttempt ? first : second);
            }
        }

        cancellationToken.ThrowIfCancellationRequested();

        // Both failed: the later one's error says most (TCP's refusal, usually); a cancellation says least.
        var failed = secondAttempt.Exception?.InnerException is not null and not OperationCanceledException ? secondAttempt : firstAttempt;
        ExceptionDispatchInfo.Throw(failed.Exception?.InnerException ?? new IOException($"Could not connect to {remote} over TCP or uTP."));
        throw new InvalidOperationException("unreachable");
    }
}
