using System.Net;
using FsCheck;
using FsCheck.Fluent;
using SmartShare.BitTorrent.Trackers;
using static SmartShare.BitTorrent.Tests.Trackers.TrackerTestSupport;

namespace SmartShare.BitTorrent.Tests.Trackers;

public class HttpTrackerCodecTests
{
    private static AnnounceRequest Request(InfoHash hash, TrackerEvent @event = TrackerEvent.None) =>
        new(hash, PeerId('P'), 6881, 10, 20, 30, @event, NumWant: 50, Key: 0xBEEF);

    [Fact]
    public void Every_byte_value_of_the_info_hash_is_percent_encoded_or_literal_and_survives_the_uri()
    {
        var announce = new Uri("http://127.0.0.1:6969/announce");
        for (var value = 0; value < 256; value++)
        {
            var bytes = new byte[InfoHash.Length];
            Array.Fill(bytes, (byte)value);
            var uri = HttpTrackerCodec.BuildAnnounceUri(announce, Request(InfoHash.FromBytes(bytes)));

            var c = (char)value;
            var unreserved = char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~';
            var expected = unreserved ? new string(c, 20) : string.Concat(Enumerable.Repeat($"%{value:X2}", 20));
            Assert.Contains($"info_hash={expected}&", uri.PathAndQuery, StringComparison.Ordinal);
            Assert.Equal(bytes, ParseQuery(uri.Query)["info_hash"]);
        }
    }

    [Fact]
    public void Announce_uri_keeps_the_trackers_query_and_adds_every_field()
    {
        var announce = new Uri("http://127.0.0.1:6969/announce.php?passkey=s3cr%2Bt");
        var uri = HttpTrackerCodec.BuildAnnounceUri(announce, Request(Hash(0xAB), TrackerEvent.Started));

        Assert.Equal("/announce.php", uri.AbsolutePath);
        Assert.StartsWith("?passkey=s3cr%2Bt&info_hash=", uri.Query, StringComparison.Ordinal);
        var query = ParseQuery(uri.Query);
        Assert.Equal(Hash(0xAB).ToArray(), query["info_hash"]);
        Assert.Equal(PeerId('P'), query["peer_id"]);
        Assert.Equal("6881", Ascii(query["port"]));
        Assert.Equal("10", Ascii(query["uploaded"]));
        Assert.Equal("20", Ascii(query["downloaded"]));
        Assert.Equal("30", Ascii(query["left"]));
        Assert.Equal("1", Ascii(query["compact"]));
        Assert.Equal("50", Ascii(query["numwant"]));
        Assert.Equal("0000beef", Ascii(query["key"]));
        Assert.Equal("started", Ascii(query["event"]));
    }

    [Theory]
    [InlineData(TrackerEvent.None, null)]
    [InlineData(TrackerEvent.Started, "started")]
    [InlineData(TrackerEvent.Completed, "completed")]
    [InlineData(TrackerEvent.Stopped, "stopped")]
    public void Event_is_named_and_omitted_for_a_regular_announce(TrackerEvent @event, string? expected)
    {
        var uri = HttpTrackerCodec.BuildAnnounceUri(new Uri("https://127.0.0.1/announce"), Request(Hash(1), @event));
        var query = ParseQuery(uri.Query);
        if (expected is null)
        {
            Assert.False(query.ContainsKey("event"));
        }
        else
        {
            Assert.Equal(expected, Ascii(query["event"]));
        }
    }

    [Fact]
    public void Announce_uri_refuses_a_peer_id_that_is_not_20_bytes()
    {
        var request = Request(Hash(1)) with { PeerId = new byte[19] };
        Assert.Throws<ArgumentException>(() => HttpTrackerCodec.BuildAnnounceUri(new Uri("http://127.0.0.1/announce"), request));
    }

    [Theory]
    [InlineData("http://127.0.0.1/announce", "http://127.0.0.1/scrape")]
    [InlineData("http://127.0.0.1/x/announce", "http://127.0.0.1/x/scrape")]
    [InlineData("http://127.0.0.1/announce.php", "http://127.0.0.1/scrape.php")]
    [InlineData("http://127.0.0.1:8080/announce?passkey=abc", "http://127.0.0.1:8080/scrape?passkey=abc")]
    [InlineData("http://127.0.0.1/a", null)]
    [InlineData("http://127.0.0.1/announce/x", null)]
    [InlineData("http://127.0.0.1/Announce", null)]
    [InlineData("http://127.0.0.1/", null)]
    public void Scrape_uri_follows_the_bep_48_rule(string announce, string? expectedPrefix)
    {
        var hash = Hash(0x41);
        var scrape = HttpTrackerCodec.BuildScrapeUri(new Uri(announce), hash);
        if (expectedPrefix is null)
        {
            Assert.Null(scrape);
            return;
        }

        Assert.NotNull(scrape);
        var separator = expectedPrefix.Contains('?', StringComparison.Ordinal) ? "&" : "?";
        Assert.Equal(expectedPrefix + separator + "info_hash=" + new string('A', 20), scrape.AbsoluteUri);
    }

    [Fact]
    public void Compact_peers_are_read_and_port_zero_and_duplicates_dropped()
    {
        byte[] peers = [127, 0, 0, 1, 0x1A, 0xE1, 127, 0, 0, 2, 0, 0, 127, 0, 0, 1, 0x1A, 0xE1, 10, 1, 2, 3, 0xFF, 0xFF];
        var body = Bencoded("d8:completei5e10:incompletei7e8:intervali1800e12:min intervali60e5:peers", peers, "e");

        var response = HttpTrackerCodec.ParseAnnounce(body, 100);

        Assert.Equal(TimeSpan.FromSeconds(1800), response.Interval);
        Assert.Equal(TimeSpan.FromSeconds(60), response.MinInterval);
        Assert.Equal(5, response.Seeders);
        Assert.Equal(7, response.Leechers);
        Assert.Equal([new IPEndPoint(IPAddress.Parse("127.0.0.1"), 6881), new IPEndPoint(IPAddress.Parse("10.1.2.3"), 65535)], response.Peers);
    }

    [Fact]
    public void Peers6_and_the_dictionary_form_are_read_together()
    {
        var v6 = new byte[18];
        IPAddress.IPv6Loopback.GetAddressBytes().CopyTo(v6, 0);
        v6[16] = 0x1F;
        v6[17] = 0x90;
        var body = Bencoded(
            "d8:intervali60e5:peersld2:ip9:127.0.0.37:peer id20:aaaaaaaaaaaaaaaaaaaa4:porti7000eed2:ip11:example.org4:porti1eed2:ip9:127.0.0.44:porti0eee6:peers6",
            v6,
            "10:tracker id3:xyz15:warning message4:slowe");

        var response = HttpTrackerCodec.ParseAnnounce(body, 100);

        Assert.Equal([new IPEndPoint(IPAddress.Parse("127.0.0.3"), 7000), new IPEndPoint(IPAddress.IPv6Loopback, 8080)], response.Peers);
        Assert.Equal("xyz", response.TrackerId);
        Assert.Equal("slow", response.WarningMessage);
        Assert.Null(response.MinInterval);
        Assert.Null(response.Seeders);
    }

    [Fact]
    public void Peers_are_capped()
    {
        var peers = new byte[6 * 50];
        for (var i = 0; i < 50; i++)
        {
            peers[(6 * i) + 3] = (byte)(i + 1);
            peers[(6 * i) + 5] = 1;
        }

        var response = HttpTrackerCodec.ParseAnnounce(Bencoded("d8:intervali60e5:peers", peers, "e"), 10);
        Assert.Equal(10, response.Peers.Count);
    }

    [Fact]
    public void Failure_reason_is_a_failure_carrying_the_trackers_words()
    {
        var e = Assert.Throws<TrackerException>(() => HttpTrackerCodec.ParseAnnounce(Ascii("d14:failure reason11:not allowede"), 10));
        Assert.Equal(TrackerErrorKind.Failure, e.Kind);
        Assert.Contains("not allowed", e.Message, StringComparison.Ordinal);
        Assert.Equal("not allowed", e.FailureReason);
    }

    [Theory]
    [InlineData("d5:peers0:e")]
    [InlineData("d8:intervali0e5:peers0:e")]
    [InlineData("d8:intervali-5e5:peers0:e")]
    [InlineData("d8:interval2:605:peers0:e")]
    [InlineData("d8:intervali60e5:peers5:abcdee")]
    [InlineData("d8:intervali60e6:peers65:abcdee")]
    [InlineData("d8:intervali60e5:peersi1ee")]
    [InlineData("le")]
    [InlineData("")]
    [InlineData("<html>")]
    [InlineData("d5:peers0:8:intervali60ee")]
    public void Malformed_answers_are_bad_responses(string body)
    {
        var e = Assert.Throws<TrackerException>(() => HttpTrackerCodec.ParseAnnounce(Ascii(body), 10));
        Assert.Equal(TrackerErrorKind.BadResponse, e.Kind);
    }

    [Fact]
    public void A_huge_interval_is_cut_to_a_day()
    {
        var response = HttpTrackerCodec.ParseAnnounce(Ascii("d8:intervali9223372036854775807ee"), 10);
        Assert.Equal(HttpTrackerCodec.MaxInterval, response.Interval);
        Assert.Empty(response.Peers);
    }

    [Fact]
    public void Scrape_reads_the_torrents_counts_and_null_for_an_unknown_hash()
    {
        var hash = Hash(0x41);
        var body = Ascii($"d5:filesd20:{new string('A', 20)}d8:completei3e10:downloadedi9e10:incompletei4eeee");

        Assert.Equal(new ScrapeResponse(3, 9, 4), HttpTrackerCodec.ParseScrape(body, hash));
        Assert.Null(HttpTrackerCodec.ParseScrape(body, Hash(0x42)));
        Assert.Null(HttpTrackerCodec.ParseScrape(Ascii("de"), hash));
        Assert.Equal(TrackerErrorKind.Failure, Assert.Throws<TrackerException>(() => HttpTrackerCodec.ParseScrape(Ascii("d14:failure reason2:noe"), hash)).Kind);
        Assert.Equal(TrackerErrorKind.BadResponse, Assert.Throws<TrackerException>(() => HttpTrackerCodec.ParseScrape(Ascii("d5:filesi1ee"), hash)).Kind);
    }

    [Fact]
    public void Random_bytes_into_the_parsers_raise_only_tracker_exceptions()
    {
        var prop = Prop.ForAll(ArbMap.Default.ArbFor<byte[]>(), bytes =>
        {
            OnlyTrackerExceptions(() => HttpTrackerCodec.ParseAnnounce(bytes, 50));
            OnlyTrackerExceptions(() => HttpTrackerCodec.ParseScrape(bytes, Hash(1)));
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(2000), prop);
    }

    [Fact]
    public void Random_peer_strings_in_a_valid_answer_raise_only_tracker_exceptions()
    {
        var prop = Prop.ForAll(ArbMap.Default.ArbFor<byte[]>(), bytes =>
        {
            OnlyTrackerExceptions(() => HttpTrackerCodec.ParseAnnounce(Bencoded("d8:intervali60e5:peers", bytes, "6:peers6", bytes, "e"), 50));
            OnlyTrackerExceptions(() => HttpTrackerCodec.ParseAnnounce(Bencoded("d8:intervali60e5:peersl", bytes, "ee"), 50));
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(1000), prop);
    }

    internal static void OnlyTrackerExceptions(Action parse)
    {
        try
        {
            parse();
        }
        catch (TrackerException)
        {
        }
    }

    private static byte[] Bencoded(string before, byte[] value, string after) =>
        [.. Ascii(before), .. Ascii($"{value.Length}:"), .. value, .. Ascii(after)];

    private static byte[] Bencoded(string before, byte[] value, string middle, byte[] value2, string after) =>
        [.. Bencoded(before, value, middle), .. Ascii($"{value2.Length}:"), .. value2, .. Ascii(after)];
}
