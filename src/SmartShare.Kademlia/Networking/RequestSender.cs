using System.Net;

namespace SmartShare.Kademlia.Networking;

/// <summary>Who sent an incoming request: the id it claims and the address the datagram came from.</summary>
public readonly record struct RequestSender(NodeId Id, IPEndPoint EndPoint);
