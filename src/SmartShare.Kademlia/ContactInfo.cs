using System.Net;

namespace SmartShare.Kademlia;

/// <summary>A node id with the datagram address it answers on, as carried in lookup responses.</summary>
public readonly record struct ContactInfo(NodeId Id, IPEndPoint EndPoint);
