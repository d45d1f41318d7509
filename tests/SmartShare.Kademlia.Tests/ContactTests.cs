using System.Net;

namespace SmartShare.Kademlia.Tests;

public class ContactTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(720);

    private static Contact NewContact() => new(NodeId.Zero(20), new IPEndPoint(IPAddress.Loopback, 1));

    [Fact]
    public void A_contact_never_heard_from_is_unknown()
    {
        Assert.Equal(ContactLiveness.Unknown, NewContact().GetLiveness(Start, Window));
    }

    [Fact]
    public void A_reply_within_720_seconds_makes_a_contact_good_and_it_goes_unknown_after()
    {
        var contact = NewContact();
        contact.RecordReply(Start);
        Assert.Equal(ContactLiveness.Good, contact.GetLiveness(Start.AddSeconds(719), Window));
        Assert.Equal(ContactLiveness.Unknown, contact.GetLiveness(Start.AddSeconds(720), Window));
    }

    [Fact]
    public void A_failure_after_the_latest_reply_makes_a_contact_bad()
    {
        var contact = NewContact();
        contact.RecordReply(Start);
        contact.RecordFailure(Start.AddSeconds(1));
        Assert.Equal(ContactLiveness.Bad, contact.GetLiveness(Start.AddSeconds(2), Window));
        contact.RecordReply(Start.AddSeconds(3));
        Assert.Equal(ContactLiveness.Good, contact.GetLiveness(Start.AddSeconds(4), Window));
    }

    [Fact]
    public void A_contact_that_never_replied_is_bad_after_two_recent_failures_only()
    {
        var contact = NewContact();
        contact.RecordFailure(Start);
        Assert.Equal(ContactLiveness.Unknown, contact.GetLiveness(Start, Window));
        contact.RecordFailure(Start.AddSeconds(10));
        Assert.Equal(ContactLiveness.Bad, contact.GetLiveness(Start.AddSeconds(20), Window));
        Assert.Equal(ContactLiveness.Unknown, contact.GetLiveness(Start.AddSeconds(10 + 720), Window));
    }
}
