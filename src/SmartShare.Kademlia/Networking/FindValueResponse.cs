namespace SmartShare.Kademlia.Networking;

/// <summary>
/// A findValue answer: the peers stored for the key (opaque, codec-defined bytes), the contacts closest to the
/// key, and the token the responder wants back with a store.
/// </summary>
public sealed record FindValueResponse(
    NodeId Responder,
    IReadOnlyList<ReadOnlyMemory<byte>> Peers,
    IReadOnlyList<ContactInfo> Contacts,
    ReadOnlyMemory<byte> Token);
