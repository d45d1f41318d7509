using System.Net;
using SmartShare.Kademlia;

namespace SmartShare.BitTorrent.Dht;

/// <summary>A routing-table contact worth keeping across restarts: its id, UDP address and when it last answered us.</summary>
public sealed record MainlineDhtContact(NodeId Id, IPEndPoint EndPoint, DateTimeOffset LastReplied);
