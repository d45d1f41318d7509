using System.Net;

namespace SmartShare.Kademlia.Routing;

/// <summary>
/// Kademlia k-buckets over XOR-distance ranges from our own id, starting with one bucket over the whole
/// space. Splitting, eviction candidates and liveness follow LBRY spec 1.7. Thread-safe.
/// </summary>
public sealed class RoutingTable
{
    private readonly Lock _gate = new();
    private readonly List<KBucket> _buckets;
    private readonly Dictionary<IPEndPoint, Contact> _byEndPoint = [];
    private readonly TimeProvider _timeProvider;
    private readonly RoutingTableOptions _options;

    public RoutingTable(NodeId ownId, TimeProvider timeProvider, RoutingTableOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(ownId);
        ArgumentNullException.ThrowIfNull(timeProvider);
        OwnId = ownId;
        _timeProvider = timeProvider;
        _options = options ?? new RoutingTableOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.BucketSize, 1);
        _buckets = [new KBucket(BucketRange.Whole(ownId.Length))];
    }

    public NodeId OwnId { get; }

    public int BucketSize => _options.BucketSize;

    public TimeSpan GoodWindow => _options.GoodWindow;

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _byEndPoint.Count;
            }
        }
    }

    public int BucketCount
    {
        get
        {
            lock (_gate)
            {
                return _buckets.Count;
            }
        }
    }

    public IReadOnlyList<BucketRange> GetBucketRanges()
    {
        lock (_gate)
        {
            return _buckets.Select(bucket => bucket.Range).ToArray();
        }
    }

    public IReadOnlyList<Contact> GetBucketContacts(int bucketIndex)
    {
        lock (_gate)
        {
            return _buckets[bucketIndex].Contacts.ToArray();
        }
    }

    public IReadOnlyList<Contact> GetContacts()
    {
        lock (_gate)
        {
            return _buckets.SelectMany(bucket => bucket.Contacts).ToArray();
        }
    }

    public Contact? FindById(NodeId id)
    {
        ArgumentNullException.ThrowIfNull(id);
        lock (_gate)
        {
            return FindByIdCore(id);
        }
    }

    public Contact? FindByEndPoint(IPEndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        lock (_gate)
        {
            return _byEndPoint.GetValueOrDefault(endPoint);
        }
    }

    public ContactLiveness GetLiveness(Contact contact)
    {
        ArgumentNullException.ThrowIfNull(contact);
        var now = _timeProvider.GetUtcNow();
        lock (_gate)
        {
            return contact.GetLiveness(now, _options.GoodWindow);
        }
    }

    /// <summary>True when the table holds a contact at this address that is currently bad.</summary>
    public bool IsKnownBad(IPEndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        var now = _timeProvider.GetUtcNow();
        lock (_gate)
        {
            return _byEndPoint.TryGetValue(endPoint, out var contact)
                && contact.GetLiveness(now, _options.GoodWindow) == ContactLiveness.Bad;
        }
    }

    /// <summary>A node answered us: add it (or refresh it) and mark the reply.</summary>
    public AddContactResult RecordReply(NodeId id, IPEndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(id);
        ArgumentNullException.ThrowIfNull(endPoint);
        var now = _timeProvider.GetUtcNow();
        lock (_gate)
        {
            var result = AddOrUpdateCore(new Contact(id, endPoint));
            result.Contact.RecordReply(now);
            return result;
        }
    }

    /// <summary>A request to this address failed; returns the table's contact there, if any.</summary>
    public Contact? RecordFailure(IPEndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        var now = _timeProvider.GetUtcNow();
        lock (_gate)
        {
            if (_byEndPoint.TryGetValue(endPoint, out var contact))
            {
                contact.RecordFailure(now);
            }

            return contact;
        }
    }

    /// <summary>
    /// Adds a contact or refreshes the one with the same id. A different id at the same address replaces the
    /// old entry. A full bucket splits when allowed; otherwise the result names a contact to ping.
    /// </summary>
    public AddContactResult AddOrUpdate(Contact contact)
    {
        ArgumentNullException.ThrowIfNull(contact);
        if (contact.Id.Length != OwnId.Length)
        {
            throw new ArgumentException($"Contact id has {contact.Id.Length} bytes, the table uses {OwnId.Length}.", nameof(contact));
        }

        lock (_gate)
        {
            return AddOrUpdateCore(contact);
        }
    }

    /// <summary>Swaps an unresponsive contact for a waiting one; false when the old one is gone already.</summary>
    public bool Replace(Contact existing, Contact replacement)
    {
        ArgumentNullException.ThrowIfNull(existing);
        ArgumentNullException.ThrowIfNull(replacement);
        lock (_gate)
        {
            var bucket = BucketFor(existing.Id, out _);
            var index = bucket.Contacts.IndexOf(existing);
            if (index < 0 || FindByIdCore(replacement.Id) is not null)
            {
                return false;
            }

            if (!bucket.Range.ContainsIdOf(OwnId, replacement.Id))
            {
                RemoveCore(existing);
                return AddOrUpdateCore(replacement).Outcome == AddContactOutcome.Added;
            }

            bucket.Contacts.RemoveAt(index);
            _byEndPoint.Remove(existing.EndPoint);
            if (_byEndPoint.Remove(replacement.EndPoint, out var sameAddress))
            {
                BucketFor(sameAddress.Id, out _).Contacts.Remove(sameAddress);
            }

            bucket.Contacts.Add(replacement);
            _byEndPoint[replacement.EndPoint] = replacement;
            MergeEmptyBuckets();
            return true;
        }
    }

    public bool Remove(Contact contact)
    {
        ArgumentNullException.ThrowIfNull(contact);
        lock (_gate)
        {
            var removed = RemoveCore(contact);
            MergeEmptyBuckets();
            return removed;
        }
    }

    /// <summary>Up to <paramref name="count"/> contacts closest to <paramref name="target"/>, nearest first.</summary>
    public IReadOnlyList<Contact> Closest(NodeId target, int count, params ReadOnlySpan<NodeId> exclude)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (count <= 0)
        {
            return [];
        }

        var candidates = new List<Contact>();
        lock (_gate)
        {
            foreach (var bucket in _buckets)
            {
                foreach (var contact in bucket.Contacts)
                {
                    if (!IsExcluded(contact.Id, exclude))
                    {
                        candidates.Add(contact);
                    }
                }
            }
        }

        candidates.Sort((a, b) => target.CompareDistance(a.Id, b.Id));
        if (candidates.Count > count)
        {
            candidates.RemoveRange(count, candidates.Count - count);
        }

        return candidates;
    }

    private static bool IsExcluded(NodeId id, ReadOnlySpan<NodeId> exclude)
    {
        foreach (var excluded in exclude)
        {
            if (id.Equals(excluded))
            {
                return true;
            }
        }

        return false;
    }

    private AddContactResult AddOrUpdateCore(Contact contact)
    {
        if (contact.Id.Equals(OwnId))
        {
            return new AddContactResult(AddContactOutcome.Rejected, contact, null);
        }

        if (_byEndPoint.TryGetValue(contact.EndPoint, out var atSameAddress) && !atSameAddress.Id.Equals(contact.Id))
        {
            // The node behind this address restarted with a new id; the old id is unreachable there.
            RemoveCore(atSameAddress);
            MergeEmptyBuckets();
        }

        var existing = FindByIdCore(contact.Id);
        if (existing is not null)
        {
            var bucket = BucketFor(existing.Id, out _);
            bucket.Contacts.Remove(existing);
            var kept = existing;
            if (!existing.EndPoint.Equals(contact.EndPoint))
            {
                _byEndPoint.Remove(existing.EndPoint);
                contact.AdoptHistory(existing);
                kept = contact;
                _byEndPoint[kept.EndPoint] = kept;
            }

            bucket.Contacts.Add(kept);
            return new AddContactResult(AddContactOutcome.Updated, kept, null);
        }

        while (true)
        {
            var bucket = BucketFor(contact.Id, out var bucketIndex);
            if (bucket.Contacts.Count < _options.BucketSize)
            {
                bucket.Contacts.Add(contact);
                _byEndPoint[contact.EndPoint] = contact;
                return new AddContactResult(AddContactOutcome.Added, contact, null);
            }

            if (bucket.Range.CanSplit
                && (bucketIndex < _options.SplitBucketsUnderIndex
                    || (_options.SplitCloserThanKthClosest && IsCloserThanKthClosest(contact.Id))))
            {
                Split(bucketIndex);
                continue;
            }

            var candidate = PickPingCandidate(bucket);
            return candidate is null
                ? new AddContactResult(AddContactOutcome.Rejected, contact, null)
                : new AddContactResult(AddContactOutcome.BucketFull, contact, candidate);
        }
    }

    private Contact? PickPingCandidate(KBucket bucket)
    {
        var now = _timeProvider.GetUtcNow();
        foreach (var contact in bucket.Contacts)
        {
            if (contact.GetLiveness(now, _options.GoodWindow) != ContactLiveness.Good && !RepliedRecently(contact, now))
            {
                return contact;
            }
        }

        var head = bucket.Contacts[0];
        return RepliedRecently(head, now) ? null : head;
    }

    private bool RepliedRecently(Contact contact, DateTimeOffset now) =>
        contact.LastReplied is { } replied && now - replied < _options.RecentReplyWindow;

    private bool IsCloserThanKthClosest(NodeId id)
    {
        var all = _buckets.SelectMany(bucket => bucket.Contacts).ToList();
        if (all.Count < _options.BucketSize)
        {
            return true;
        }

        all.Sort((a, b) => OwnId.CompareDistance(a.Id, b.Id));
        return OwnId.CompareDistance(id, all[_options.BucketSize - 1].Id) < 0;
    }

    private void Split(int bucketIndex)
    {
        var bucket = _buckets[bucketIndex];
        var (lowerRange, upperRange) = bucket.Range.Split();
        var lower = new KBucket(lowerRange);
        var upper = new KBucket(upperRange);
        foreach (var contact in bucket.Contacts)
        {
            (lowerRange.ContainsIdOf(OwnId, contact.Id) ? lower : upper).Contacts.Add(contact);
        }

        _buckets[bucketIndex] = lower;
        _buckets.Insert(bucketIndex + 1, upper);
    }

    private bool RemoveCore(Contact contact)
    {
        var bucket = BucketFor(contact.Id, out _);
        if (!bucket.Contacts.Remove(contact))
        {
            return false;
        }

        _byEndPoint.Remove(contact.EndPoint);
        return true;
    }

    /// <summary>Folds an empty bucket into its sibling so the table does not keep useless fine ranges.</summary>
    private void MergeEmptyBuckets()
    {
        var merged = true;
        while (merged && _buckets.Count > 1)
        {
            merged = false;
            for (var i = 0; i < _buckets.Count; i++)
            {
                if (_buckets[i].Contacts.Count != 0)
                {
                    continue;
                }

                var sibling = _buckets[i].Range.Sibling();
                var neighbourIndex = sibling is null ? -1
                    : i > 0 && _buckets[i - 1].Range.SameAs(sibling) ? i - 1
                    : i + 1 < _buckets.Count && _buckets[i + 1].Range.SameAs(sibling) ? i + 1
                    : -1;
                if (neighbourIndex < 0)
                {
                    continue;
                }

                var parent = new KBucket(_buckets[i].Range.Parent());
                parent.Contacts.AddRange(_buckets[neighbourIndex].Contacts);
                var first = Math.Min(i, neighbourIndex);
                _buckets.RemoveRange(first, 2);
                _buckets.Insert(first, parent);
                merged = true;
                break;
            }
        }
    }

    private Contact? FindByIdCore(NodeId id)
    {
        foreach (var contact in BucketFor(id, out _).Contacts)
        {
            if (contact.Id.Equals(id))
            {
                return contact;
            }
        }

        return null;
    }

    private KBucket BucketFor(NodeId id, out int index)
    {
        for (var i = 0; i < _buckets.Count; i++)
        {
            if (_buckets[i].Range.ContainsIdOf(OwnId, id))
            {
                index = i;
                return _buckets[i];
            }
        }

        throw new InvalidOperationException("The buckets do not cover the whole id space.");
    }
}
