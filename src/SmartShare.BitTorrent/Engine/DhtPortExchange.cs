using System.Net;
using SmartShare.BitTorrent.PeerWire;

namespace SmartShare.BitTorrent.Engine;

/// <summary>
/// The DHT port message (BEP 5) both ways: tells DHT-capable peers where our DHT node listens, and hands the nodes
/// peers name to <see cref="TorrentSessionOptions.OnDhtNode"/> (once per peer, under the session's lock). Off for a
/// private torrent (BEP 27) and when no DHT port is set.
/// </summary>
internal sealed class DhtPortExchange(Lock sessionLock, TorrentSessionOptions options, bool isPrivate)
{
    /// <summary>Whether this torrent uses the DHT (and so offers it in the handshake).</summary>
    public bool Enabled => !isPrivate && options.DhtPort is > 0 and <= 65535;

    /// <summary>Sends our DHT port if the DHT is on here and the peer offered the DHT in its handshake.</summary>
    public async ValueTask AnnounceAsync(PeerSession peer)
    {
        if (Enabled && (peer.Connection.Remote.Capabilities & PeerCapabilities.Dht) != 0)
        {
            await peer.Connection.SendPortAsync((ushort)options.DhtPort!.Value, peer.Token).ConfigureAwait(false);
        }
    }

    // A peer's port message names its DHT node; the node pings it into its routing table.
    public void Receive(PeerSession peer, ushort port)
    {
        if (!Enabled || port == 0 || options.OnDhtNode is not { } onDhtNode)
        {
            return;
        }

        lock (sessionLock)
        {
            if (peer.DhtPortSeen)
            {
                return;
            }

            peer.DhtPortSeen = true;
        }

        var address = peer.EndPoint.Address;
        onDhtNode(new IPEndPoint(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address, port));
    }
}
