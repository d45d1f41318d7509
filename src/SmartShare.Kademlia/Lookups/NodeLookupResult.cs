namespace SmartShare.Kademlia.Lookups;

/// <summary>The nodes that answered a node lookup, closest to the target first, and the requests it took.</summary>
public sealed record NodeLookupResult(IReadOnlyList<ContactInfo> Closest, int RequestsSent, bool TargetFound);
