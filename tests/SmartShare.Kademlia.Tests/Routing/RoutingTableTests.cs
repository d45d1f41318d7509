using System.Net;
using SmartShare.Kademlia.Routing;
using SmartShare.Testing;

namespace SmartShare.Kademlia.Tests.Routing;

public class RoutingTableTests
{
    private readonly ManualTimeProvider _clock = new();

    private static IPEndPoint EndPoint(int port) => new(IPAddress.Parse("10.0.0.1"), port);

    /// <summary>A 2-byte id whose distance from the all-zero own id is <paramref name="distance"/>.</summary>
    private static NodeId Id(int distance) => NodeId.FromBytes([(byte)(distance >> 8), (byte)distance]);

    private RoutingTable NewTable(int bucketSize = 2, int splitUnder = 1) =>
        new(NodeId.Zero(2), _clock, new RoutingTableOptions { BucketSize = bucketSize, SplitBucketsUnderIndex = splitUnder });

    [Fact]
    public void Starts_with_one_bucket_over_the_whole_space()
    {
        var table = NewTable();
        var range = Assert.Single(table.GetBucketRanges());
        Assert.Equal(0, range.PrefixLength);
        Assert.True(range.ContainsIdOf(table.OwnId, Id(0xFFFF)));
    }

    [Fact]
    public void A_full_first_bucket_splits_at_its_midpoint()
    {
        var table = NewTable();
        table.AddOrUpdate(new Contact(Id(0x8001), EndPoint(1)));
        table.AddOrUpdate(new Contact(Id(0x0001), EndPoint(2)));
        var result = table.AddOrUpdate(new Contact(Id(0x0002), EndPoint(3)));

        Assert.Equal(AddContactOutcome.Added, result.Outcome);
        Assert.Equal(3, table.Count);
        var ranges = table.GetBucketRanges();
        Assert.True(ranges.Count >= 2);
        Assert.All(ranges, range => Assert.True(range.PrefixLength >= 1));
    }

    [Fact]
    public void A_full_far_bucket_does_not_split_when_the_newcomer_is_not_among_the_closest()
    {
        var table = NewTable();
        table.AddOrUpdate(new Contact(Id(0x0001), EndPoint(1)));
        table.AddOrUpdate(new Contact(Id(0x0002), EndPoint(2)));
        table.AddOrUpdate(new Contact(Id(0x8001), EndPoint(3)));
        table.AddOrUpdate(new Contact(Id(0x8002), EndPoint(4)));

        var result = table.AddOrUpdate(new Contact(Id(0x8003), EndPoint(5)));

        Assert.Equal(AddContactOutcome.BucketFull, result.Outcome);
        Assert.Equal(Id(0x8001), result.PingCandidate!.Id);
        Assert.Equal(4, table.Count);
    }

    [Fact]
    public void A_full_far_bucket_splits_when_its_index_is_below_the_configured_limit()
    {
        var table = NewTable(splitUnder: 10);
        table.AddOrUpdate(new Contact(Id(0x0001), EndPoint(1)));
        table.AddOrUpdate(new Contact(Id(0x0002), EndPoint(2)));
        table.AddOrUpdate(new Contact(Id(0x8001), EndPoint(3)));
        table.AddOrUpdate(new Contact(Id(0x8002), EndPoint(4)));

        var result = table.AddOrUpdate(new Contact(Id(0xC003), EndPoint(5)));

        Assert.Equal(AddContactOutcome.Added, result.Outcome);
    }

    [Fact]
    public void A_newcomer_closer_than_our_kth_closest_splits_a_far_bucket()
    {
        var table = NewTable();
        table.AddOrUpdate(new Contact(Id(0x8001), EndPoint(1)));
        table.AddOrUpdate(new Contact(Id(0x8002), EndPoint(2)));
        table.AddOrUpdate(new Contact(Id(0x0001), EndPoint(3)));
        table.AddOrUpdate(new Contact(Id(0x4000), EndPoint(4)));

        // 0x0002 is closer than the second-closest (0x4000): its full bucket splits instead of evicting.
        var result = table.AddOrUpdate(new Contact(Id(0x0002), EndPoint(5)));

        Assert.Equal(AddContactOutcome.Added, result.Outcome);
        Assert.Equal(5, table.Count);
    }

    [Theory]
    [InlineData(true, AddContactOutcome.Added)]
    [InlineData(false, AddContactOutcome.BucketFull)]
    public void Without_the_closer_than_kth_rule_only_the_bucket_holding_our_id_splits(bool closerRule, AddContactOutcome expected)
    {
        var table = new RoutingTable(NodeId.Zero(2), _clock, new RoutingTableOptions
        {
            BucketSize = 2,
            SplitBucketsUnderIndex = 1,
            SplitCloserThanKthClosest = closerRule,
        });
        table.AddOrUpdate(new Contact(Id(0x8001), EndPoint(1)));
        table.AddOrUpdate(new Contact(Id(0x8002), EndPoint(2)));
        table.AddOrUpdate(new Contact(Id(0x6000), EndPoint(3)));
        table.AddOrUpdate(new Contact(Id(0x7000), EndPoint(4)));

        // Buckets now: [0000-3FFF] empty (holds our id), [4000-7FFF] full, [8000-FFFF] full. 0x4000 is closer than
        // our second-closest (0x7000) but lands in the full second bucket: BEP 5 keeps that bucket whole.
        var result = table.AddOrUpdate(new Contact(Id(0x4000), EndPoint(5)));

        Assert.Equal(expected, result.Outcome);
    }

    [Fact]
    public void The_ping_candidate_is_the_first_contact_that_is_not_good_and_not_heard_from_in_60_seconds()
    {
        var table = NewTable(bucketSize: 3);
        FillFarBucket(table);
        table.RecordReply(Id(0x8001), EndPoint(11));
        _clock.Advance(TimeSpan.FromSeconds(100));
        table.RecordReply(Id(0x8003), EndPoint(13));

        // 0x8001 is still good (replied 100 s ago), 0x8002 never replied: it is the candidate.
        var result = table.AddOrUpdate(new Contact(Id(0x8004), EndPoint(14)));

        Assert.Equal(AddContactOutcome.BucketFull, result.Outcome);
        Assert.Equal(Id(0x8002), result.PingCandidate!.Id);
    }

    [Fact]
    public void The_head_is_offered_when_all_are_good_unless_it_replied_within_60_seconds()
    {
        var table = NewTable(bucketSize: 3);
        FillFarBucket(table);
        foreach (var contact in table.GetContacts())
        {
            table.RecordReply(contact.Id, contact.EndPoint);
        }

        var recent = table.AddOrUpdate(new Contact(Id(0x8004), EndPoint(14)));
        Assert.Equal(AddContactOutcome.Rejected, recent.Outcome);

        _clock.Advance(TimeSpan.FromSeconds(61));
        var later = table.AddOrUpdate(new Contact(Id(0x8004), EndPoint(14)));
        Assert.Equal(AddContactOutcome.BucketFull, later.Outcome);
        Assert.Equal(table.GetBucketContacts(table.BucketCount - 1)[0], later.PingCandidate);
    }

    [Fact]
    public void Replace_swaps_the_unresponsive_contact_for_the_newcomer()
    {
        var table = NewTable(bucketSize: 3);
        FillFarBucket(table);
        var newcomer = new Contact(Id(0x8004), EndPoint(14));
        var result = table.AddOrUpdate(newcomer);

        Assert.True(table.Replace(result.PingCandidate!, newcomer));
        Assert.Null(table.FindById(result.PingCandidate!.Id));
        Assert.Same(newcomer, table.FindById(Id(0x8004)));
    }

    [Fact]
    public void A_new_id_at_a_known_address_replaces_the_old_entry()
    {
        var table = NewTable();
        table.RecordReply(Id(0x8001), EndPoint(1));
        table.RecordReply(Id(0x8002), EndPoint(1));

        Assert.Equal(1, table.Count);
        Assert.Null(table.FindById(Id(0x8001)));
        Assert.Equal(Id(0x8002), table.FindByEndPoint(EndPoint(1))!.Id);
    }

    [Fact]
    public void Our_own_id_is_never_added()
    {
        var table = NewTable();
        Assert.Equal(AddContactOutcome.Rejected, table.RecordReply(NodeId.Zero(2), EndPoint(1)).Outcome);
        Assert.Equal(0, table.Count);
    }

    [Fact]
    public void Re_adding_a_known_id_moves_it_to_the_tail()
    {
        var table = NewTable(bucketSize: 3);
        FillFarBucket(table);
        var result = table.AddOrUpdate(new Contact(Id(0x8001), EndPoint(11)));
        Assert.Equal(AddContactOutcome.Updated, result.Outcome);
        Assert.Equal(Id(0x8001), table.GetBucketContacts(table.BucketCount - 1)[^1].Id);
    }

    [Fact]
    public void Empty_buckets_merge_back()
    {
        var table = NewTable();
        var contacts = new[] { 0x0001, 0x0002, 0x0003, 0x8001 }
            .Select((distance, i) => new Contact(Id(distance), EndPoint(i + 1)))
            .ToList();
        contacts.ForEach(contact => table.AddOrUpdate(contact));
        Assert.True(table.BucketCount > 1);

        contacts.ForEach(contact => table.Remove(contact));

        Assert.Equal(1, table.BucketCount);
        Assert.Equal(0, table.Count);
    }

    [Fact]
    public void Liveness_follows_replies_and_failures_on_the_fake_clock()
    {
        var table = NewTable();
        var contact = table.RecordReply(Id(0x8001), EndPoint(1)).Contact;
        Assert.Equal(ContactLiveness.Good, table.GetLiveness(contact));

        _clock.Advance(TimeSpan.FromSeconds(720));
        Assert.Equal(ContactLiveness.Unknown, table.GetLiveness(contact));

        table.RecordFailure(EndPoint(1));
        Assert.Equal(ContactLiveness.Bad, table.GetLiveness(contact));
        Assert.True(table.IsKnownBad(EndPoint(1)));
    }

    [Fact]
    public void Closest_returns_the_nearest_contacts_first_without_the_excluded_ones()
    {
        var table = NewTable(bucketSize: 8);
        foreach (var distance in new[] { 0x0010, 0x0011, 0x00F0, 0x8000, 0x0012 })
        {
            table.AddOrUpdate(new Contact(Id(distance), EndPoint(distance)));
        }

        var closest = table.Closest(Id(0x0013), 3, Id(0x0012));

        Assert.Equal(new[] { Id(0x0011), Id(0x0010), Id(0x00F0) }, closest.Select(contact => contact.Id));
    }

    [Fact]
    public void Random_ids_for_a_bucket_fall_inside_its_range()
    {
        var table = NewTable();
        var random = new DeterministicRandomSource(3);
        for (var i = 0; i < 20; i++)
        {
            table.AddOrUpdate(new Contact(NodeId.Random(2, random), EndPoint(100 + i)));
        }

        foreach (var range in table.GetBucketRanges())
        {
            for (var i = 0; i < 20; i++)
            {
                Assert.True(range.ContainsIdOf(table.OwnId, range.RandomId(table.OwnId, random)));
            }

            Assert.True(range.ContainsIdOf(table.OwnId, range.MidpointId(table.OwnId)));
        }
    }

    private static void FillFarBucket(RoutingTable table)
    {
        // Near contacts first, so the far half [0x8000, 0xFFFF] ends up as its own full bucket.
        table.AddOrUpdate(new Contact(Id(0x0001), EndPoint(1)));
        table.AddOrUpdate(new Contact(Id(0x0002), EndPoint(2)));
        table.AddOrUpdate(new Contact(Id(0x0003), EndPoint(3)));
        table.AddOrUpdate(new Contact(Id(0x8001), EndPoint(11)));
        table.AddOrUpdate(new Contact(Id(0x8002), EndPoint(12)));
        table.AddOrUpdate(new Contact(Id(0x8003), EndPoint(13)));
    }
}
