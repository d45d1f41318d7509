using System.Buffers.Binary;
using System.Net;
using FsCheck;
using FsCheck.Fluent;
using SmartShare.BitTorrent.Trackers;
using static SmartShare.BitTorrent.Tests.Trackers.TrackerTestSupport;

namespace SmartShare.BitTorrent.Tests.Trackers;

public class UdpTrackerCodecTests
{
    [Fact]
    public void Connect_request_is_magic_action_zero_and_transaction_id()
    {
        var buffer = new byte[32];
        var length = UdpTrackerCodec.WriteConnectRequest(buffer, 0xDEADBEEF);

        Assert.Equal(16, length);
        Assert.Equal(Convert.FromHexString("0000041727101980" + "00000000" + "DEADBEEF"), buffer[..16]);
    }

    [Fact]
    public void Announce_request_has_the_98_byte_layout()
    {
        var hash = InfoHash.FromBytes(Enumerable.Range(1, 20).Select(i => (byte)i).ToArray());
        var request = new AnnounceRequest(hash, PeerId('Q'), 0x1AE1, Uploaded: 3, Downloaded: 1, Left: 2, TrackerEvent.Started, NumWant: 200, Key: 0xCAFEBABE);
        var buffer = new byte[98];

        var length = UdpTrackerCodec.WriteAnnounceRequest(buffer, 0x0102030405060708, 0x11223344, request);

        var expected = Convert.FromHexString(
            "0102030405060708" + "00000001" + "11223344"
            + "0102030405060708090A0B0C0D0E0F1011121314"
            + string.Concat(Enumerable.Repeat("51", 20))
            + "0000000000000001" + "0000000000000002" + "0000000000000003"
            + "00000002" + "00000000" + "CAFEBABE" + "000000C8" + "1AE1");
        Assert.Equal(98, length);
        Assert.Equal(expected, buffer);
    }

    [Theory]
    [InlineData(TrackerEvent.None, 0)]
    [InlineData(TrackerEvent.Completed, 1)]
    [InlineData(TrackerEvent.Started, 2)]
    [InlineData(TrackerEvent.Stopped, 3)]
    public void Event_codes_follow_bep_15(TrackerEvent @event, int code)
    {
        var buffer = new byte[98];
        UdpTrackerCodec.WriteAnnounceRequest(buffer, 1, 2, new AnnounceRequest(Hash(1), PeerId('a'), 1, 0, 0, 0, @event));
        Assert.Equal(code, BinaryPrimitives.ReadInt32BigEndian(buffer.AsSpan(80)));
    }

    [Fact]
    public void Scrape_request_is_connection_action_two_transaction_and_hash()
    {
        var buffer = new byte[36];
        Assert.Equal(36, UdpTrackerCodec.WriteScrapeRequest(buffer, 7, 9, Hash(0xEE)));
        Assert.Equal(Convert.FromHexString("0000000000000007" + "00000002" + "00000009" + string.Concat(Enumerable.Repeat("EE", 20))), buffer);
    }

    [Fact]
    public void Connect_response_yields_the_connection_id()
    {
        var answer = Convert.FromHexString("00000000" + "00000005" + "A1A2A3A4A5A6A7A8");
        Assert.Equal(unchecked((long)0xA1A2A3A4A5A6A7A8), UdpTrackerCodec.ParseConnectResponse(answer, 5));
    }

    [Fact]
    public void Announce_response_yields_interval_counts_and_ipv4_peers()
    {
        var answer = Convert.FromHexString(
            "00000001" + "00000009" + "00000708" + "00000004" + "00000006"
            + "7F0000011AE1" + "7F0000020000" + "7F0000011AE1" + "0A0000021AE2");

        var response = UdpTrackerCodec.ParseAnnounceResponse(answer, 9, 100);

        Assert.Equal(TimeSpan.FromSeconds(1800), response.Interval);
        Assert.Equal(4, response.Leechers);
        Assert.Equal(6, response.Seeders);
        Assert.Equal([new IPEndPoint(IPAddress.Parse("127.0.0.1"), 6881), new IPEndPoint(IPAddress.Parse("10.0.0.2"), 6882)], response.Peers);
    }

    [Fact]
    public void Scrape_response_yields_seeders_completed_leechers()
    {
        var answer = Convert.FromHexString("00000002" + "00000003" + "00000001" + "00000002" + "00000003");
        Assert.Equal(new ScrapeResponse(1, 2, 3), UdpTrackerCodec.ParseScrapeResponse(answer, 3));
    }

    [Fact]
    public void Error_action_is_a_failure_with_the_message()
    {
        byte[] answer = [.. Convert.FromHexString("00000003" + "00000007"), .. Ascii("go away")];
        var e = Assert.Throws<TrackerException>(() => UdpTrackerCodec.ParseAnnounceResponse(answer, 7, 10));
        Assert.Equal(TrackerErrorKind.Failure, e.Kind);
        Assert.Contains("go away", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("00000000000000")]
    [InlineData("00000001" + "00000008" + "00000708" + "00000004" + "00000006")]
    [InlineData("00000002" + "00000007" + "00000708" + "00000004" + "00000006")]
    [InlineData("00000001" + "00000007" + "00000708" + "00000004")]
    [InlineData("00000001" + "00000007" + "00000000" + "00000004" + "00000006")]
    [InlineData("00000001" + "00000007" + "00000708" + "00000004" + "00000006" + "7F00")]
    public void Malformed_announce_answers_are_bad_responses(string hex)
    {
        var e = Assert.Throws<TrackerException>(() => UdpTrackerCodec.ParseAnnounceResponse(Convert.FromHexString(hex), 7, 10));
        Assert.Equal(TrackerErrorKind.BadResponse, e.Kind);
    }

    [Fact]
    public void Random_bytes_into_the_parsers_raise_only_tracker_exceptions()
    {
        var prop = Prop.ForAll(ArbMap.Default.ArbFor<byte[]>(), Gen.Choose(0, 3).ToArbitrary(), (bytes, tx) =>
        {
            var transaction = (uint)tx;
            HttpTrackerCodecTests.OnlyTrackerExceptions(() => UdpTrackerCodec.ParseConnectResponse(bytes, transaction));
            HttpTrackerCodecTests.OnlyTrackerExceptions(() => UdpTrackerCodec.ParseAnnounceResponse(bytes, transaction, 50));
            HttpTrackerCodecTests.OnlyTrackerExceptions(() => UdpTrackerCodec.ParseScrapeResponse(bytes, transaction));
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(2000), prop);
    }

    [Fact]
    public void Random_bodies_behind_valid_headers_raise_only_tracker_exceptions()
    {
        var prop = Prop.ForAll(ArbMap.Default.ArbFor<byte[]>(), Gen.Choose(0, 3).ToArbitrary(), (body, action) =>
        {
            var header = new byte[8];
            BinaryPrimitives.WriteInt32BigEndian(header, action);
            BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4), 42);
            byte[] datagram = [.. header, .. body];
            HttpTrackerCodecTests.OnlyTrackerExceptions(() => UdpTrackerCodec.ParseConnectResponse(datagram, 42));
            HttpTrackerCodecTests.OnlyTrackerExceptions(() => UdpTrackerCodec.ParseAnnounceResponse(datagram, 42, 50));
            HttpTrackerCodecTests.OnlyTrackerExceptions(() => UdpTrackerCodec.ParseScrapeResponse(datagram, 42));
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(2000), prop);
    }
}
