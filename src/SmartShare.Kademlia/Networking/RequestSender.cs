using System.Net;

namespace SmartShare.Kademlia.Networking;

/// <summary>
/// Who sent an incoming request: the id it claims and the address the datagram came from. A read-only sender
/// (Mainline BEP 43 <c>ro</c>) is answered but never added to the routing table.
/// </summary>
public readonly record struct RequestSender(NodeId Id, IPEndPoint EndPoint, bool ReadOnly = false);
