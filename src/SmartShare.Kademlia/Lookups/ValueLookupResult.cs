namespace SmartShare.Kademlia.Lookups;

/// <summary>
/// The distinct peers a value lookup collected, the responders closest to the key, and the requests it took.
/// </summary>
public sealed record ValueLookupResult(
    IReadOnlyList<ReadOnlyMemory<byte>> Peers, IReadOnlyList<ContactInfo> Closest, int RequestsSent);
