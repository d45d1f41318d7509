using System.Net;
using System.Net.Sockets;
using SmartShare.BitTorrent.PeerWire;

namespace SmartShare.BitTorrent.Engine;

/// <summary>
/// Peer exchange (ut_pex, BEP 11) for one torrent: every <see cref="TorrentSessionOptions.PexInterval"/> tells each
/// ut_pex peer the listen addresses connected and dropped since its last message, and takes the peers others tell
/// of as candidates, within a per-peer rate and a total cap. Off for a private torrent (BEP 27). Owns the send clock
/// and the count learnt; reads the session's connected peers under the session's lock.
/// </summary>
internal sealed class PexExchange
{
    /// <summary>Our id for ut_pex (BEP 10): peers send us its messages under this id.</summary>
    public const byte LocalId = 1;

    private readonly Lock _lock;
    private readonly TimeProvider _time;
    private readonly TorrentSessionOptions _options;
    private readonly List<PeerSession> _peers;
    private readonly Func<IPEndPoint, bool> _isCandidate;
    private readonly Action<IReadOnlyList<IPEndPoint>> _addPeers;
    private readonly Action<string> _log;
    private int _learnt;
    private long _lastSent;

    /// <param name="sessionLock">The session's lock, which guards <paramref name="peers"/> and the peers' PEX state.</param>
    /// <param name="time">The session's clock.</param>
    /// <param name="options">The session's options (intervals and caps).</param>
    /// <param name="enabled">False for a private torrent.</param>
    /// <param name="peers">The session's connected peers, read under the lock.</param>
    /// <param name="isCandidate">Whether an address is already a candidate to dial (called under the lock).</param>
    /// <param name="addPeers">Makes learnt addresses candidates (called outside the lock).</param>
    /// <param name="log">The session's log.</param>
    public PexExchange(
        Lock sessionLock,
        TimeProvider time,
        TorrentSessionOptions options,
        bool enabled,
        List<PeerSession> peers,
        Func<IPEndPoint, bool> isCandidate,
        Action<IReadOnlyList<IPEndPoint>> addPeers,
        Action<string> log)
    {
        _lock = sessionLock;
        _time = time;
        _options = options;
        Enabled = enabled;
        _peers = peers;
        _isCandidate = isCandidate;
        _addPeers = addPeers;
        _log = log;
        _lastSent = time.GetTimestamp();
    }

    /// <summary>Whether this torrent offers ut_pex.</summary>
    public bool Enabled { get; }

    /// <summary>Peers another peer is connected to become candidates, within a per-peer rate and a total cap.</summary>
    public bool Receive(PeerSession peer, in PeerMessage message, out PeerAction action)
    {
        action = default;
        if (!Enabled)
        {
            return true; // we never offered ut_pex here; ignore a peer that sends it anyway
        }

        PexMessage pex;
        try
        {
            pex = PexMessage.Decode(message.Payload);
        }
        catch (PeerWireFormatException e)
        {
            action = PeerAction.Drop(e.Message);
            return false;
        }

        var now = _time.GetTimestamp();
        var learnt = new List<IPEndPoint>();
        lock (_lock)
        {
            var refill = _time.GetElapsedTime(peer.PexTokensAt, now).TotalSeconds / Math.Max(0.001, _options.PexMinReceiveInterval.TotalSeconds);
            peer.PexTokens = Math.Min(3, peer.PexTokens + refill);
            peer.PexTokensAt = now;
            if (peer.PexTokens < 1)
            {
                return true;
            }

            peer.PexTokens -= 1;
            foreach (var added in pex.Added)
            {
                if (_learnt >= _options.MaxPexPeers)
                {
                    break;
                }

                var endPoint = added.EndPoint;
                if (IsDialable(endPoint.Address) && !_isCandidate(endPoint) && !_peers.Exists(p => endPoint.Equals(p.ListenEndPoint)))
                {
                    _learnt++;
                    learnt.Add(endPoint);
                }
            }
        }

        if (learnt.Count > 0)
        {
            _log($"{peer} told us of {learnt.Count} peers by PEX");
            _addPeers(learnt);
            _options.OnPexPeers?.Invoke(learnt);
        }

        return true;
    }

    /// <summary>
    /// Under the session's lock, each tick: when a PEX round is due, each ut_pex peer gets the listen addresses
    /// connected and dropped since its last message.
    /// </summary>
    public void Tick(long now, List<(PeerSession Peer, PeerAction Action)> actions)
    {
        if (!Enabled || _time.GetElapsedTime(_lastSent, now) < _options.PexInterval)
        {
            return;
        }

        _lastSent = now;
        var current = new Dictionary<IPEndPoint, PexPeerTraits>();
        foreach (var peer in _peers)
        {
            if (peer.ListenEndPoint is { } listen)
            {
                current[listen] = (peer.Has.IsComplete ? PexPeerTraits.Seed : PexPeerTraits.None)
                    | (peer.Connection.IsIncoming ? PexPeerTraits.None : PexPeerTraits.Reachable);
            }
        }

        foreach (var peer in _peers)
        {
            if (peer.Extensions?.Messages.TryGetValue(PexMessage.ExtensionName, out var id) != true)
            {
                continue;
            }

            var itself = peer.ListenEndPoint;
            var added = current
                .Where(c => !c.Key.Equals(itself) && !c.Key.Equals(peer.EndPoint) && !peer.PexAdvertised.Contains(c.Key))
                .Take(PexMessage.MaxPeersPerList)
                .Select(c => new PexPeer(c.Key, c.Value))
                .ToList();
            var dropped = peer.PexAdvertised.Where(a => !current.ContainsKey(a)).Take(PexMessage.MaxPeersPerList).ToList();
            if (added.Count == 0 && dropped.Count == 0)
            {
                continue;
            }

            foreach (var a in added)
            {
                peer.PexAdvertised.Add(a.EndPoint);
            }

            foreach (var d in dropped)
            {
                peer.PexAdvertised.Remove(d);
            }

            actions.Add((peer, PeerAction.SendExtended(id, new PexMessage(added, dropped).Encode())));
        }
    }

    private static bool IsDialable(IPAddress address) =>
        !address.Equals(IPAddress.Any) && !address.Equals(IPAddress.IPv6Any) && !address.Equals(IPAddress.Broadcast)
        && !(address.AddressFamily == AddressFamily.InterNetworkV6 && address.IsIPv6Multicast)
        && !(address.AddressFamily == AddressFamily.InterNetwork && address.GetAddressBytes()[0] is >= 224);
}
