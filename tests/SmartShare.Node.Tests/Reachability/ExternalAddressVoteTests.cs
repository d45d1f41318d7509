using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using SmartShare.Node.Reachability;

namespace SmartShare.Node.Tests.Reachability;

public class ExternalAddressVoteTests
{
    private static readonly IPAddress Honest = IPAddress.Parse("11.77.0.2");
    private static readonly IPAddress Lie = IPAddress.Parse("12.34.56.78");
    private static readonly IPAddress Router = IPAddress.Parse("192.168.1.1");

    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-12-05T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

    // Reporter i sits in its own /24: 20.0.i.7.
    private static IPAddress Reporter(int i) => IPAddress.Parse($"20.{i / 256}.{i % 256}.7");

    [Fact]
    public void One_liar_among_honest_peers_changes_nothing()
    {
        var vote = new ExternalAddressVote(_time);
        for (var i = 0; i < 3; i++)
        {
            vote.Report(Honest, ExternalAddressSource.MainlineDht, Reporter(i));
        }

        vote.Report(Lie, ExternalAddressSource.PeerHandshake, Reporter(99));

        // The liar repeating itself, from other hosts of its /24, is still one vote.
        for (var host = 1; host < 50; host++)
        {
            vote.Report(Lie, ExternalAddressSource.PeerHandshake, IPAddress.Parse($"20.0.99.{host}"));
        }

        var settled = Assert.IsType<ExternalAddress>(vote.IPv4);
        Assert.Equal(Honest, settled.Address);
        Assert.Equal(3, settled.Votes);
        Assert.Equal([ExternalAddressSource.MainlineDht], settled.Sources);
    }

    [Fact]
    public void One_reporter_alone_sets_nothing()
    {
        var vote = new ExternalAddressVote(_time);
        vote.Report(Lie, ExternalAddressSource.PeerHandshake, Reporter(1));
        vote.Report(Lie, ExternalAddressSource.MainlineDht, Reporter(1));

        Assert.Null(vote.IPv4);
    }

    [Fact]
    public void Many_distinct_agreeing_reporters_move_it_and_a_tie_keeps_the_current_address()
    {
        var vote = new ExternalAddressVote(_time);
        vote.Report(Honest, ExternalAddressSource.MainlineDht, Reporter(0));
        vote.Report(Honest, ExternalAddressSource.MainlineDht, Reporter(1));
        Assert.Equal(Honest, vote.IPv4!.Address);
        var first = vote.IPv4.LearnedAt;

        // A new address (the ISP renumbered us): as many votes is not enough, more is.
        _time.Advance(TimeSpan.FromMinutes(5));
        vote.Report(Lie, ExternalAddressSource.PeerHandshake, Reporter(10));
        vote.Report(Lie, ExternalAddressSource.MainlineDht, Reporter(11));
        Assert.Equal(Honest, vote.IPv4!.Address);
        Assert.Equal(first, vote.IPv4.LearnedAt);

        vote.Report(Lie, ExternalAddressSource.MainlineDht, Reporter(12));
        var moved = vote.IPv4!;
        Assert.Equal(Lie, moved.Address);
        Assert.Equal(3, moved.Votes);
        Assert.Equal([ExternalAddressSource.MainlineDht, ExternalAddressSource.PeerHandshake], moved.Sources);
        Assert.Equal(_time.GetUtcNow(), moved.LearnedAt);
    }

    [Fact]
    public void A_reporter_that_changes_its_mind_moves_its_one_vote()
    {
        var vote = new ExternalAddressVote(_time);
        vote.Report(Honest, ExternalAddressSource.MainlineDht, Reporter(0));
        vote.Report(Honest, ExternalAddressSource.MainlineDht, Reporter(1));
        vote.Report(Lie, ExternalAddressSource.MainlineDht, Reporter(0));

        // 1 against 1: neither has the two votes needed, so the address is unknown again.
        Assert.Null(vote.IPv4);
    }

    [Fact]
    public void The_gateway_wins_over_any_number_of_peers_while_fresh()
    {
        var vote = new ExternalAddressVote(_time);
        for (var i = 0; i < 20; i++)
        {
            vote.Report(Lie, ExternalAddressSource.MainlineDht, Reporter(i));
        }

        vote.Report(Honest, ExternalAddressSource.Gateway, Router);
        vote.Report(Honest, ExternalAddressSource.PeerHandshake, Reporter(100));

        var settled = vote.IPv4!;
        Assert.Equal(Honest, settled.Address);
        Assert.Equal(2, settled.Votes);
        Assert.Equal([ExternalAddressSource.Gateway, ExternalAddressSource.PeerHandshake], settled.Sources);

        // The gateway's answer lasts 2 hours unless renewed; after that the peers' fresh votes decide again.
        _time.Advance(TimeSpan.FromMinutes(90));
        for (var i = 0; i < 20; i++)
        {
            vote.Report(Lie, ExternalAddressSource.MainlineDht, Reporter(i));
        }

        Assert.Equal(Honest, vote.IPv4!.Address);
        _time.Advance(TimeSpan.FromMinutes(31));
        Assert.Equal(Lie, vote.IPv4!.Address);
    }

    [Fact]
    public void Votes_age_out()
    {
        var vote = new ExternalAddressVote(_time);
        vote.Report(Honest, ExternalAddressSource.MainlineDht, Reporter(0));
        _time.Advance(TimeSpan.FromMinutes(40));
        vote.Report(Honest, ExternalAddressSource.MainlineDht, Reporter(1));
        Assert.Equal(Honest, vote.IPv4!.Address);

        // The first vote is an hour old: one vote is left, which is not enough.
        _time.Advance(TimeSpan.FromMinutes(20));
        Assert.Null(vote.IPv4);

        vote.Report(Honest, ExternalAddressSource.MainlineDht, Reporter(2));
        Assert.Equal(Honest, vote.IPv4!.Address);
        _time.Advance(TimeSpan.FromHours(1));
        Assert.Null(vote.IPv4);
        Assert.Equal(0, ((JsonObject)vote.Describe()!)["voters"]!.GetValue<int>());
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("10.1.2.3")]
    [InlineData("172.20.0.1")]
    [InlineData("192.168.1.20")]
    [InlineData("100.64.3.4")]
    [InlineData("169.254.1.1")]
    [InlineData("0.0.0.0")]
    [InlineData("224.0.0.1")]
    [InlineData("255.255.255.255")]
    [InlineData("203.0.113.9")]
    [InlineData("::1")]
    [InlineData("::")]
    [InlineData("fe80::1")]
    [InlineData("fd00::1")]
    [InlineData("ff02::1")]
    [InlineData("2001:db8::1")]
    [InlineData("::ffff:192.168.1.1")]
    public void Private_loopback_and_reserved_claims_are_refused_even_from_the_gateway(string claimed)
    {
        var vote = new ExternalAddressVote(_time);
        vote.Report(IPAddress.Parse(claimed), ExternalAddressSource.Gateway, Router);
        vote.Report(IPAddress.Parse(claimed), ExternalAddressSource.MainlineDht, Reporter(1));
        vote.Report(IPAddress.Parse(claimed), ExternalAddressSource.MainlineDht, Reporter(2));

        Assert.Empty(vote.Addresses);
        Assert.Equal(3, vote.Refused);
    }

    [Fact]
    public void IPv6_is_voted_apart_from_IPv4_and_status_shows_both()
    {
        var v6 = IPAddress.Parse("2a00:1450:4001::5");
        var vote = new ExternalAddressVote(_time);
        vote.Report(Honest, ExternalAddressSource.Gateway, Router);
        vote.Report(v6, ExternalAddressSource.MainlineDht, IPAddress.Parse("2a01:1::1"));
        vote.Report(v6, ExternalAddressSource.MainlineDht, IPAddress.Parse("2a01:1::2")); // same /48: one vote
        Assert.Null(vote.IPv6);
        vote.Report(v6, ExternalAddressSource.PeerHandshake, IPAddress.Parse("2a02:2::1"));

        Assert.Equal([Honest, v6], vote.Addresses.Select(address => address.Address));
        var status = (JsonObject)vote.Describe()!;
        Assert.Equal("11.77.0.2", status["address"]!.GetValue<string>());
        Assert.Equal("gateway", status["ipv4"]!["sources"]![0]!.GetValue<string>());
        Assert.Equal(1, status["ipv4"]!["votes"]!.GetValue<int>());
        Assert.Equal("2026-12-05T10:00:00.0000000+00:00", status["ipv4"]!["learned_at"]!.GetValue<string>());
        Assert.Equal("2a00:1450:4001::5", status["ipv6"]!["address"]!.GetValue<string>());
        Assert.Equal(2, status["ipv6"]!["votes"]!.GetValue<int>());
    }

    [Fact]
    public void Memory_is_bounded_and_a_flood_of_new_reporters_cannot_evict_fresh_votes()
    {
        var vote = new ExternalAddressVote(_time, new ExternalAddressVoteOptions { MaxVoters = 8 });
        for (var i = 0; i < 3; i++)
        {
            vote.Report(Honest, ExternalAddressSource.MainlineDht, Reporter(i));
        }

        for (var i = 100; i < 10_100; i++)
        {
            vote.Report(Lie, ExternalAddressSource.MainlineDht, Reporter(i));
        }

        // 5 flooders got in before the table was full; the rest were dropped, and 3 honest votes still lose to 5.
        Assert.Equal(8, ((JsonObject)vote.Describe()!)["voters"]!.GetValue<int>());
        Assert.Equal(10_000 - 5, vote.Dropped);
        Assert.Equal(Lie, vote.IPv4!.Address);

        // Once the flood's votes age out, room is made again for new reporters.
        _time.Advance(TimeSpan.FromHours(1));
        vote.Report(Honest, ExternalAddressSource.MainlineDht, Reporter(0));
        vote.Report(Honest, ExternalAddressSource.MainlineDht, Reporter(1));
        Assert.Equal(Honest, vote.IPv4!.Address);
    }
}
