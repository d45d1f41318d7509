namespace SmartShare.Kademlia.Routing;

public enum AddContactOutcome
{
    /// <summary>The contact is new and now in the table.</summary>
    Added,

    /// <summary>The contact was already there (by id); it moved to the tail of its bucket.</summary>
    Updated,

    /// <summary>Its bucket is full and cannot split; ping the offered candidate and call Replace if it fails.</summary>
    BucketFull,

    /// <summary>Our own id, or a full bucket whose contacts all replied recently.</summary>
    Rejected,
}
