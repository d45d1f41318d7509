namespace SmartShare.Kademlia.Routing;

/// <summary>One bucket: a distance range and its contacts, oldest first.</summary>
internal sealed class KBucket(BucketRange range)
{
    public BucketRange Range { get; } = range;

    public List<Contact> Contacts { get; } = [];
}
