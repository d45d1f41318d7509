using System.Net;

namespace SmartShare.Lbry.Dht;

/// <summary>A DHT contact as saved across restarts: its id, UDP endpoint and when it last answered us.</summary>
public sealed record SavedContact(ReadOnlyMemory<byte> NodeId, IPEndPoint EndPoint, DateTimeOffset LastReplied);
