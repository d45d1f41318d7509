namespace SmartShare.Kademlia.Lookups;

internal enum LookupCandidateState
{
    NotAsked,
    InFlight,
    Responded,
    Failed,
}
