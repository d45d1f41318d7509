using System.Net;

namespace SmartShare.Kademlia.Lookups;

/// <summary>A shortlist entry. Bootstrap addresses start without an id and learn it from their answer.</summary>
internal sealed class LookupCandidate(NodeId? id, IPEndPoint endPoint)
{
    public NodeId? Id { get; set; } = id;

    public IPEndPoint EndPoint { get; } = endPoint;

    public LookupCandidateState State { get; set; }
}
