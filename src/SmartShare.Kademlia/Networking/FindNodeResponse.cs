namespace SmartShare.Kademlia.Networking;

/// <summary>A findNode answer: who answered and the contacts it knows closest to the target.</summary>
public sealed record FindNodeResponse(NodeId Responder, IReadOnlyList<ContactInfo> Contacts);
