using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using SmartShare.BitTorrent.Metainfo;
using SmartShare.BitTorrent.PeerWire;
using SmartShare.BitTorrent.PeerWire.Encryption;
using SmartShare.BitTorrent.PeerWire.Transport;
using SmartShare.BitTorrent.Storage;
using SmartShare.BitTorrent.Trackers;
using SmartShare.Networking;

namespace SmartShare.BitTorrent.Engine;

/// <summary>What one BitTorrent client (one listen port, one peer id) runs with.</summary>
public sealed class BitTorrentClientOptions
{
    /// <summary>Where peers connect to us; port 0 picks a free one (see <see cref="BitTorrentClient.LocalEndPoint"/>).</summary>
    public IPEndPoint ListenEndPoint { get; set; } = new(IPAddress.Any, 6881);

    /// <summary>
    /// Incoming connections still in their handshake at once. When all are taken, a newcomer takes the slot of the
    /// longest-waiting handshake of the host holding the most, so idle connections cannot lock genuine peers out.
    /// </summary>
    public int MaxPendingHandshakes { get; set; } = 64;

    /// <summary>Handshakes one host (an IPv4 address or an IPv6 /64) may have pending at once; its newest replaces its oldest.</summary>
    public int MaxPendingHandshakesPerHost { get; set; } = 8;

    /// <summary>Options each new torrent starts from (copied per torrent; the listen port is filled in).</summary>
    public Func<TorrentSessionOptions> SessionOptions { get; set; } = () => new TorrentSessionOptions();

    public TrackerOptions Trackers { get; set; } = new();

    /// <summary>The HTTP client for HTTP trackers; null = one of our own.</summary>
    public HttpClient? Http { get; set; }

    public Action<string>? Log { get; set; }

    /// <summary>
    /// How peers are reached and accepted: the listener binds on it and every torrent dials over it (unless its own
    /// <see cref="TorrentSessionOptions.Transport"/> says otherwise). Null = TCP.
    /// </summary>
    public IPeerTransport? Transport { get; set; }
}

/// <summary>
/// The BitTorrent side of the node: one listener (TCP unless <see cref="BitTorrentClientOptions.Transport"/> says otherwise) and peer id shared by every torrent. Incoming connections are
/// routed to their torrent by the info hash of their handshake, plain or inside MSE. Each torrent's
/// <see cref="PeerConnectionOptions.Encryption"/> (from <see cref="BitTorrentClientOptions.SessionOptions"/> and the
/// configure action of <see cref="Add"/>) decides both how its session dials and which incoming handshakes it takes:
/// MSE for it is answered unless it is <see cref="EncryptionMode.Disable"/>d, with RC4 only when it is
/// <see cref="EncryptionMode.Require"/>d; plain handshakes for it are dropped when it requires encryption.
/// </summary>
public sealed class BitTorrentClient : IAsyncDisposable
{
    private readonly BitTorrentClientOptions _options;
    private readonly IRandomSource _random;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<InfoHash, TorrentSession> _sessions = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly PeerConnectionOptions _handshakeOptions;
    private readonly MseSkeyTable _mseTorrents = new();
    private readonly ConcurrentDictionary<InfoHash, EncryptionMode> _encryption = new();
    private readonly IPeerTransport _transport;
    private readonly List<(IPeerListener Listener, Task Loop)> _extraListeners = [];
    private IPeerListener? _listener;
    private Task? _acceptLoop;
    private readonly ConnectionSlots _pending;

    /// <param name="time">The clock of every timer, timeout and rate of the client and its torrents; default the system clock.</param>
    public BitTorrentClient(BitTorrentClientOptions options, IRandomSource random, TimeProvider? time = null)
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _random = random ?? throw new ArgumentNullException(nameof(random));
        _time = time ?? TimeProvider.System;
        PeerId = PeerId.Generate(random);
        _ownsHttp = options.Http is null;
        _http = options.Http ?? new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        // The listener itself takes both kinds of handshake; each torrent's own mode is applied once its info hash is known.
        _handshakeOptions = options.SessionOptions().Connection.WithEncryption(EncryptionMode.Prefer).WithTime(_time);
        _transport = options.Transport ?? TcpPeerTransport.For(_handshakeOptions);
        _pending = new ConnectionSlots(options.MaxPendingHandshakes, options.MaxPendingHandshakesPerHost, _time);
    }

    /// <summary>Handshakes cut short to give their slot to a newcomer (see <see cref="BitTorrentClientOptions.MaxPendingHandshakes"/>).</summary>
    public long HandshakesEvicted => _pending.Evictions;

    public PeerId PeerId { get; }

    /// <summary>The bound listen address (after <see cref="Start"/>).</summary>
    public IPEndPoint LocalEndPoint { get; private set; } = new(IPAddress.Any, 0);

    /// <summary>Every bound listen address: <see cref="LocalEndPoint"/> first, then those of <see cref="ListenAlso"/>.</summary>
    public IReadOnlyList<IPEndPoint> LocalEndPoints
    {
        get
        {
            lock (_extraListeners)
            {
                return [LocalEndPoint, .. _extraListeners.Select(extra => extra.Listener.LocalEndPoint)];
            }
        }
    }

    public IReadOnlyCollection<TorrentSession> Sessions => [.. _sessions.Values];

    /// <summary>Binds the listen port and starts accepting peers.</summary>
    /// <exception cref="SocketException">The port is taken.</exception>
    public void Start()
    {
        var listener = _transport.Listen(_options.ListenEndPoint);
        _listener = listener;
        LocalEndPoint = listener.LocalEndPoint;
        _acceptLoop = Task.Run(() => AcceptLoopAsync(listener, _stop.Token));
    }

    /// <summary>
    /// Accepts peers on a second address too, after <see cref="Start"/>: the node listens on IPv4 and IPv6 with the
    /// same port number. Incoming connections are routed to their torrent as on the first listener.
    /// </summary>
    /// <exception cref="SocketException">The address is taken, or its family is not available.</exception>
    public IPEndPoint ListenAlso(IPEndPoint local)
    {
        ArgumentNullException.ThrowIfNull(local);
        ObjectDisposedException.ThrowIf(_stop.IsCancellationRequested, this);
        return AcceptAlso(_transport.Listen(local));
    }

    /// <summary>
    /// Accepts peers from a listener made elsewhere too (the node's uTP listener on its IPv6 UDP port, bound after the
    /// TCP one), through the same handshake slots and routing as every other; the client closes it when disposed.
    /// </summary>
    public IPEndPoint AcceptAlso(IPeerListener listener)
    {
        ArgumentNullException.ThrowIfNull(listener);
        ObjectDisposedException.ThrowIf(_stop.IsCancellationRequested, this);
        lock (_extraListeners)
        {
            _extraListeners.Add((listener, Task.Run(() => AcceptLoopAsync(listener, _stop.Token))));
        }

        return listener.LocalEndPoint;
    }

    public TorrentSession? Find(InfoHash infoHash) => _sessions.GetValueOrDefault(infoHash);

    /// <summary>Creates the session of a torrent (not started). Throws when the torrent is already added.</summary>
    public TorrentSession Add(Torrent torrent, TorrentStorage storage, ResumeStore? resume, Action<TorrentSessionOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(torrent);
        var options = _options.SessionOptions();
        options.ListenPort = LocalEndPoint.Port;
        options.Log ??= _options.Log;
        options.Transport ??= _options.Transport;
        configure?.Invoke(options);
        var session = new TorrentSession(
            torrent, storage, resume, PeerId, options, _random, uri => TrackerClientFactory.Create(uri, _http, _options.Trackers, _time), _time);
        if (!_sessions.TryAdd(torrent.InfoHash, session))
        {
            throw new InvalidOperationException($"Torrent {torrent.InfoHash} is already added.");
        }

        var mode = options.Connection.Encryption;
        _encryption[torrent.InfoHash] = mode;
        if (mode != EncryptionMode.Disable)
        {
            _mseTorrents.Set(torrent.InfoHash, mode == EncryptionMode.Require ? MseCryptoOffer.Rc4 : MseCryptoOffer.Rc4 | MseCryptoOffer.Plaintext);

            // The session's first dial, a few milliseconds from now, finds its key pair computed.
            MseKeyExchange.Random.PrepareAhead();
        }

        return session;
    }

    /// <summary>Stops a torrent and forgets it.</summary>
    public async Task RemoveAsync(InfoHash infoHash)
    {
        _mseTorrents.Remove(infoHash);
        _encryption.TryRemove(infoHash, out _);
        if (_sessions.TryRemove(infoHash, out var session))
        {
            await session.DisposeAsync().ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        if (_listener is not null)
        {
            await _listener.DisposeAsync().ConfigureAwait(false);
        }

        if (_acceptLoop is not null)
        {
            await _acceptLoop.ConfigureAwait(false);
        }

        (IPeerListener Listener, Task Loop)[] extras;
        lock (_extraListeners)
        {
            extras = [.. _extraListeners];
        }

        foreach (var (listener, loop) in extras)
        {
            await listener.DisposeAsync().ConfigureAwait(false);
            await loop.ConfigureAwait(false);
        }

        foreach (var session in _sessions.Values)
        {
            await session.DisposeAsync().ConfigureAwait(false);
        }

        _sessions.Clear();
        if (_ownsHttp)
        {
            _http.Dispose();
        }

        _stop.Dispose();
    }

    private async Task AcceptLoopAsync(IPeerListener listener, CancellationToken token)
    {
        while (!token.IsCancellationRequested)
        {
            IPeerLink socket;
            try
            {
                socket = await listener.AcceptAsync(token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (Exception e) when (e is SocketException or IOException)
            {
                continue;
            }

            // Every pending handshake only waits, so one can always make room: never null in practice.
            if (_pending.TryTake(socket.RemoteEndPoint.Address, evictable: true) is not { } slot)
            {
                await socket.DisposeAsync().ConfigureAwait(false);
                continue;
            }

            _ = Task.Run(() => HandleIncomingAsync(socket, slot, token), CancellationToken.None);
        }
    }

    private async Task HandleIncomingAsync(IPeerLink socket, ConnectionSlots.Slot slot, CancellationToken token)
    {
        var from = socket.RemoteEndPoint;
        PeerConnection connection;
        Handshake remote;
        try
        {
            using var handshake = CancellationTokenSource.CreateLinkedTokenSource(token, slot.Evicted);
            (connection, remote) = await PeerConnection
                .ReadIncomingHandshakeAsync(socket, _handshakeOptions, _mseTorrents.Count == 0 ? null : _mseTorrents, handshake.Token)
                .ConfigureAwait(false);
        }
        catch (Exception e) when (e is PeerConnectionException or OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
            if (slot.Evicted.IsCancellationRequested)
            {
                _options.Log?.Invoke($"an incoming connection from {from} still in its handshake was closed to make room for a newcomer");
            }
            else if (e is not OperationCanceledException)
            {
                _options.Log?.Invoke($"an incoming connection from {from} failed its handshake: {e.Message}");
            }

            await socket.DisposeAsync().ConfigureAwait(false);
            return;
        }
        finally
        {
            slot.Dispose();
        }

        if (!_sessions.TryGetValue(remote.InfoHash, out var session) || session.State == TorrentState.Checking)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            return;
        }

        var mode = _encryption.GetValueOrDefault(remote.InfoHash, EncryptionMode.Prefer);
        if ((mode == EncryptionMode.Require && connection.Crypto != MseCryptoOffer.Rc4) || (mode == EncryptionMode.Disable && connection.Crypto != MseCryptoOffer.None))
        {
            _options.Log?.Invoke($"an incoming connection from {from} for {remote.InfoHash} was dropped: {(connection.Crypto == MseCryptoOffer.None ? "a plain handshake" : "MSE")} while this torrent's encryption is {mode}");
            await connection.DisposeAsync().ConfigureAwait(false);
            return;
        }

        await session.AcceptAsync(connection).ConfigureAwait(false);
    }
}
