using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using SmartShare.Lbry.Blobs;
using SmartShare.Lbry.Dht;
using SmartShare.Networking;
using SmartShare.Node.Downloads;
using SmartShare.Node.Hosting;
using SmartShare.Node.Settings;

namespace SmartShare.Node.LocalDiscovery;

/// <summary>
/// Local discovery for LBRY streams, BEP 14's idea on our own groups (239.192.152.144:6772, [ff15::efc0:9890]:6772):
/// a node multicasts <c>LBRY-SEARCH</c> datagrams naming the sd hashes it can serve (<c>Kind: have</c>, when a stream
/// is shared or completed and every 5 minutes) with its blob-exchange port and LBRY DHT port; a node that wants a
/// stream multicasts a <c>Kind: want</c> for its sd hash (at most every 10 s), which a node holding it answers with a
/// <c>have</c> at once (at most every 10 s per stream). Peers heard are blob peers for those streams for 15 minutes;
/// the sender's DHT port also becomes a DHT contact (pinged) while our table is nearly empty. Private streams and a
/// node with <c>announce</c> off announce nothing.
/// </summary>
public sealed partial class LbryLanDiscovery : IDisposable
{
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan WantInterval = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan PeerLifetime = TimeSpan.FromMinutes(15);
    public static readonly TimeSpan ContactPingInterval = TimeSpan.FromMinutes(5);

    /// <summary>How long a want with no neighbour known waits for a <c>have</c> before the lookup goes on without.</summary>
    public static readonly TimeSpan AnswerWait = TimeSpan.FromSeconds(1);
    public const int MaxStreamsHeard = 4096;
    public const int MaxPeersPerStream = 16;
    public const int SmallTable = 8;

    private readonly Announcer _announcer;
    private readonly LbryDhtService _dht;
    private readonly NodeSettingsStore _settings;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Dictionary<string, Dictionary<IPEndPoint, DateTimeOffset>> _heard = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _wanted = new(StringComparer.Ordinal);
    private readonly Dictionary<IPEndPoint, DateTimeOffset> _pinged = [];
    private readonly Dictionary<string, TaskCompletionSource> _answers = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private DateTimeOffset _refreshedAt = DateTimeOffset.MinValue;
    private HashSet<string> _known = new(StringComparer.Ordinal);
    private long _peersFound;
    private long _wantsSent;

    public LbryLanDiscovery(
        Announcer announcer, LbryDhtService dht, BlobServerHost blobServer, NodeSettingsStore settings, TimeProvider time, IRandomSource random, ILogger<LbryLanDiscovery> logger)
    {
        _announcer = announcer;
        _dht = dht;
        _settings = settings;
        _time = time;
        _logger = logger;
        Engine = new LanDiscoveryEngine(LanAnnounceFormat.Lbry, Transport, time, random, LocalPeerDiscovery.AnnounceInterval, () => blobServer.LocalEndPoint?.Port ?? 0)
        {
            ExtraHeaders = () => [new("Dht-Port", dht.LocalEndPoint.Port.ToString(CultureInfo.InvariantCulture))],
            OnAnnounce = OnAnnounce,
        };
    }

    internal SwitchableTransport Transport { get; } = new();

    internal LanDiscoveryEngine Engine { get; }

    /// <summary>Times a neighbour was heard offering a stream (one count per peer and stream).</summary>
    public long PeersFound => Interlocked.Read(ref _peersFound);

    /// <summary>The blob-exchange addresses heard offering <paramref name="sdHash"/> within the last 15 minutes.</summary>
    public IReadOnlyList<IPEndPoint> Peers(BlobHash sdHash)
    {
        var now = _time.GetUtcNow();
        lock (_heard)
        {
            return _heard.TryGetValue(sdHash.ToString(), out var peers)
                ? [.. peers.Where(peer => now - peer.Value < PeerLifetime).Select(peer => peer.Key)]
                : [];
        }
    }

    /// <summary>Asks the LAN who has <paramref name="sdHash"/> (at most every 10 s per stream), and returns who is known to have it.</summary>
    public IReadOnlyList<IPEndPoint> Want(BlobHash sdHash)
    {
        var key = sdHash.ToString();
        var now = _time.GetUtcNow();
        var send = false;
        lock (_wanted)
        {
            if (!_wanted.TryGetValue(key, out var last) || now - last >= WantInterval)
            {
                if (_wanted.Count >= MaxStreamsHeard)
                {
                    _wanted.Clear();
                }

                _wanted[key] = now;
                send = true;
            }
        }

        if (send && Transport.Inner is not null)
        {
            Engine.Send([key], [new("Kind", "want")]);
            Interlocked.Increment(ref _wantsSent);
        }

        return Peers(sdHash);
    }

    /// <summary>
    /// <see cref="Want"/>, and when no neighbour is known to have the stream yet, waits up to <see cref="AnswerWait"/>
    /// for one to answer.
    /// </summary>
    public async Task<IReadOnlyList<IPEndPoint>> WantAsync(BlobHash sdHash, CancellationToken cancellationToken)
    {
        var known = Want(sdHash);
        if (known.Count > 0 || Transport.Inner is null)
        {
            return known;
        }

        Task answered;
        lock (_answers)
        {
            if (!_answers.TryGetValue(sdHash.ToString(), out var waiter))
            {
                if (_answers.Count >= MaxStreamsHeard)
                {
                    return known;
                }

                waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _answers[sdHash.ToString()] = waiter;
            }

            answered = waiter.Task;
        }

        try
        {
            await answered.WaitAsync(AnswerWait, _time, cancellationToken);
        }
        catch (TimeoutException)
        {
            // Nobody on the LAN has it (or answered yet): the DHT may.
        }
        finally
        {
            lock (_answers)
            {
                if (_answers.TryGetValue(sdHash.ToString(), out var waiter) && waiter.Task == answered)
                {
                    _answers.Remove(sdHash.ToString());
                }
            }
        }

        return Peers(sdHash);
    }

    /// <summary>A stream was shared or completed: the next round looks at the list again, so it goes out within seconds.</summary>
    public void StreamReady() => _refreshedAt = DateTimeOffset.MinValue;

    internal void Tick()
    {
        var now = _time.GetUtcNow();
        if (now - _refreshedAt >= RefreshInterval)
        {
            _refreshedAt = now;
            Refresh();
        }

        Engine.Tick();
    }

    internal void Stop() => _stop.Cancel();

    public void Dispose() => _stop.Dispose();

    internal JsonObject Describe() => new()
    {
        ["cookie"] = Engine.Cookie,
        ["streams"] = Engine.Tracked,
        ["announces_sent"] = Engine.Sent,
        ["wants_sent"] = Interlocked.Read(ref _wantsSent),
        ["received"] = Engine.Received,
        ["refused"] = Engine.Malformed + Engine.RateLimited,
        ["peers_found"] = PeersFound,
    };

    private void Refresh()
    {
        var wanted = _settings.Current.Announce
            ? _announcer.StreamsToAnnounce().Select(stream => stream.SdHash.ToString()).ToHashSet(StringComparer.Ordinal)
            : [];
        foreach (var hash in wanted.Where(hash => !Engine.Contains(hash)))
        {
            Engine.Add(hash);
        }

        foreach (var hash in _known.Where(hash => !wanted.Contains(hash)))
        {
            Engine.Remove(hash);
        }

        _known = wanted;
    }

    private void OnAnnounce(LanAnnounce announce, IPEndPoint from)
    {
        if (string.Equals(announce.Header("kind"), "want", StringComparison.OrdinalIgnoreCase))
        {
            foreach (var hash in announce.Hashes)
            {
                Engine.AnnounceSoon(hash, WantInterval);
            }

            return;
        }

        var peer = new IPEndPoint(from.Address, announce.Port);
        var now = _time.GetUtcNow();
        lock (_heard)
        {
            foreach (var hash in announce.Hashes)
            {
                if (!_heard.TryGetValue(hash, out var peers))
                {
                    if (_heard.Count >= MaxStreamsHeard)
                    {
                        Forget(now);
                        if (_heard.Count >= MaxStreamsHeard)
                        {
                            continue;
                        }
                    }

                    peers = [];
                    _heard[hash] = peers;
                }

                if (!peers.ContainsKey(peer) && peers.Count >= MaxPeersPerStream)
                {
                    var oldest = peers.MinBy(entry => entry.Value).Key;
                    peers.Remove(oldest);
                }

                lock (_answers)
                {
                    if (_answers.Remove(hash, out var waiter))
                    {
                        waiter.TrySetResult();
                    }
                }

                if (peers.TryAdd(peer, now))
                {
                    Interlocked.Increment(ref _peersFound);
                    LogStreamPeer(_logger, peer, hash);
                }
                else
                {
                    peers[peer] = now;
                }
            }
        }

        if (int.TryParse(announce.Header("dht-port"), NumberStyles.None, CultureInfo.InvariantCulture, out var dhtPort) && dhtPort is > 0 and <= 65535)
        {
            MaybeAddContact(new IPEndPoint(from.Address, dhtPort), now);
        }
    }

    // Drops the streams whose peers all expired.
    private void Forget(DateTimeOffset now)
    {
        foreach (var (hash, peers) in _heard.ToList())
        {
            if (peers.Values.All(heard => now - heard >= PeerLifetime))
            {
                _heard.Remove(hash);
            }
        }
    }

    private void MaybeAddContact(IPEndPoint contact, DateTimeOffset now)
    {
        if (_dht.Engine.RoutingTable.Count >= SmallTable || contact.Equals(_dht.LocalEndPoint))
        {
            return;
        }

        lock (_pinged)
        {
            if (_pinged.TryGetValue(contact, out var last) && now - last < ContactPingInterval)
            {
                return;
            }

            if (_pinged.Count >= 256)
            {
                _pinged.Clear();
            }

            _pinged[contact] = now;
        }

        _ = PingAsync(contact);
    }

    private async Task PingAsync(IPEndPoint contact)
    {
        try
        {
            await _dht.Engine.PingAsync(contact, _stop.Token);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
        {
            // The node is stopping.
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Local discovery: blob peer {Peer} for stream {SdHash}")]
    private static partial void LogStreamPeer(ILogger logger, IPEndPoint peer, string sdHash);
}
