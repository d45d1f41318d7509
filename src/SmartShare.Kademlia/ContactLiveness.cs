namespace SmartShare.Kademlia;

/// <summary>What we believe about a contact, from its replies and failures (LBRY spec 1.7).</summary>
public enum ContactLiveness
{
    Unknown,
    Good,
    Bad,
}
