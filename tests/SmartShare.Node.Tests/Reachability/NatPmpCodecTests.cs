using System.Net;
using SmartShare.Node.Reachability.NatPmp;

namespace SmartShare.Node.Tests.Reachability;

/// <summary>NAT-PMP and PCP messages byte for byte (RFC 6886, RFC 6887), and what the decoders refuse.</summary>
public sealed class NatPmpCodecTests
{
    [Fact]
    public void Nat_pmp_requests_are_laid_out_as_rfc_6886_says()
    {
        Assert.Equal([0, 0], NatPmpCodec.ExternalAddressRequest());
        Assert.Equal(
            Convert.FromHexString("00020000" + "1AE1" + "1AE2" + "00001C20"),
            NatPmpCodec.MappingRequest("tcp", 6881, 6882, 7200));
        Assert.Equal(Convert.FromHexString("000100001151000000000000"), NatPmpCodec.MappingRequest("udp", 4433, 0, 0));
    }

    [Fact]
    public void Nat_pmp_responses_decode_with_their_epoch_and_fields()
    {
        // What miniupnpd answered natpmpc in the lab: external address 11.77.5.1, epoch 7.
        var address = NatPmpCodec.Decode(Convert.FromHexString("00800000000000070b4d0501"));
        Assert.Equal(new NatPmpResponse(0, 0, 7, IPAddress.Parse("11.77.5.1")), address);

        var mapping = NatPmpCodec.Decode(Convert.FromHexString("00820000" + "0000000A" + "1AE1" + "1AE2" + "00000E10"));
        Assert.Equal(new NatPmpResponse(2, 0, 10, null, 6881, 6882, 3600), mapping);

        // An error answer may stop after the epoch.
        Assert.Equal(new NatPmpResponse(1, 2, 5), NatPmpCodec.Decode(Convert.FromHexString("0081000200000005")));
    }

    [Theory]
    [InlineData("", "at least 8 bytes")]
    [InlineData("0080000000000007", "12 bytes")]
    [InlineData("008100000000000700000000", "16 bytes")]
    [InlineData("01800000000000070b4d0501", "version 0")]
    [InlineData("00000000000000070b4d0501", "is a request")]
    [InlineData("00850000000000070b4d0501", "no opcode 5")]
    public void Malformed_nat_pmp_responses_are_refused_with_the_format_exception(string hex, string sentence)
    {
        var error = Assert.Throws<NatPmpFormatException>(() => NatPmpCodec.Decode(Convert.FromHexString(hex)));

        Assert.Contains(sentence, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_pcp_map_request_carries_the_nonce_protocol_ports_and_the_client_address_ipv4_mapped()
    {
        var nonce = Convert.FromHexString("0102030405060708090a0b0c");

        var request = PcpCodec.MapRequest(nonce, "tcp", 6881, 6881, 7200, IPAddress.Parse("10.77.1.2"));

        Assert.Equal(
            Convert.FromHexString(
                "02010000" + "00001C20" + "00000000000000000000FFFF0A4D0102"
                + "0102030405060708090a0b0c" + "06000000" + "1AE1" + "1AE1" + "00000000000000000000FFFF00000000"),
            request);
        Assert.Equal(Convert.FromHexString("02000000" + "00000000" + "00000000000000000000FFFF0A4D0102"), PcpCodec.AnnounceRequest(IPAddress.Parse("10.77.1.2")));
    }

    [Fact]
    public void A_pcp_map_response_from_miniupnpd_decodes()
    {
        // Captured in the lab: MAP TCP 5000 granted for 120 s, epoch 7, external address 11.77.5.1.
        var response = PcpCodec.Decode(Convert.FromHexString(
            "028100000000007800000007000000000000000000000000fdd099db12a83012b82f3127060000001388138800000000000000000000ffff0b4d0501"));

        Assert.Equal((2, 1, 0, 120u, 7u), (response.Version, response.Opcode, response.ResultCode, response.Lifetime, response.Epoch));
        var map = Assert.IsType<PcpMapResult>(response.Map);
        Assert.Equal(Convert.FromHexString("fdd099db12a83012b82f3127"), map.Nonce.ToArray());
        Assert.Equal((6, 5000, 5000, IPAddress.Parse("11.77.5.1")), (map.Protocol, map.InternalPort, map.ExternalPort, map.ExternalAddress));
    }

    [Fact]
    public void A_nat_pmp_only_gateway_and_another_pcp_version_both_read_as_unsupported_version()
    {
        var natPmp = PcpCodec.Decode(Convert.FromHexString("0081000100000009"));
        Assert.Equal((0, 1, 1, 9u), (natPmp.Version, natPmp.Opcode, natPmp.ResultCode, natPmp.Epoch));

        // miniupnpd's answer to a version 3 request: its own version 2 with UNSUPP_VERSION.
        var pcp = PcpCodec.Decode(Convert.FromHexString("028100010000000000000007000000000000000000000000fdd099db12a83012b82f3127060000000000000000000000000000000000000000000000"));
        Assert.Equal((2, 1), (pcp.Version, pcp.ResultCode));
    }

    [Fact]
    public void Pcp_options_after_the_map_fields_are_skipped_when_they_fit()
    {
        var map = new PcpMapResult(new byte[12], 17, 4444, 4444, IPAddress.Parse("11.77.1.1"));
        var bytes = PcpCodec.Encode(new PcpResponse(2, 1, 0, 60, 3, map)).Concat(Convert.FromHexString("01000005" + "AABBCCDDEE000000")).ToArray();

        Assert.Equal(map.ExternalAddress, PcpCodec.Decode(bytes).Map!.ExternalAddress);

        var overrun = PcpCodec.Encode(new PcpResponse(2, 1, 0, 60, 3, map)).Concat(Convert.FromHexString("01000040" + "AABBCCDD")).ToArray();
        Assert.Contains("runs past the end", Assert.Throws<NatPmpFormatException>(() => PcpCodec.Decode(overrun)).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0281", "at least 24 bytes")]
    [InlineData("02810000000000780000000700000000000000000000000000", "multiple of 4")]
    [InlineData("020100000000007800000007000000000000000000000000", "is a PCP request")]
    [InlineData("028100000000007800000007000000000000000000000000", "needs 60 bytes")]
    [InlineData("028500000000007800000007000000000000000000000000", "opcode 5")]
    public void Malformed_pcp_responses_are_refused_with_the_format_exception(string hex, string sentence)
    {
        var error = Assert.Throws<NatPmpFormatException>(() => PcpCodec.Decode(Convert.FromHexString(hex)));

        Assert.Contains(sentence, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Datagrams_longer_than_any_message_are_refused_unread()
    {
        Assert.Throws<NatPmpFormatException>(() => PcpCodec.Decode(new byte[PcpCodec.MaxMessage + 4]));
        Assert.Throws<NatPmpFormatException>(() => NatPmpCodec.Decode(new byte[NatPmpCodec.MaxDatagram + 1]));
    }

    [Fact]
    public void The_epoch_tracker_sees_a_restart_when_the_epoch_goes_back_or_drifts_from_the_clock()
    {
        var start = DateTimeOffset.UnixEpoch;
        var tracker = new EpochTracker();
        Assert.False(tracker.Observe(1000, start));
        Assert.False(tracker.Observe(1060, start.AddSeconds(60)));
        Assert.False(tracker.Observe(1059, start.AddSeconds(60)), "a second back is tolerated");
        Assert.True(tracker.Observe(5, start.AddSeconds(70)), "the epoch went back: the router restarted");
        Assert.False(tracker.Observe(65, start.AddSeconds(130)));

        // An hour passed for us but only ten seconds for the gateway: it restarted in between.
        Assert.True(tracker.Observe(75, start.AddSeconds(3730)));
        tracker.Reset();
        Assert.False(tracker.Observe(0, start.AddSeconds(4000)));
    }

    [Fact]
    public void The_default_gateway_is_the_lowest_metric_default_route_in_proc_net_route()
    {
        const string Table = """
            Iface	Destination	Gateway 	Flags	RefCnt	Use	Metric	Mask		MTU	Window	IRTT
            eth0	00000000	010200C0	0003	0	0	100	00000000	0	0	0
            wlan0	00000000	01014D0A	0003	0	0	50	00000000	0	0	0
            eth0	000200C0	00000000	0001	0	0	0	00FFFFFF	0	0	0
            bad line
            """;

        Assert.Equal(BitConverter.IsLittleEndian ? IPAddress.Parse("10.77.1.1") : IPAddress.Parse("1.1.77.10"), DefaultGateway.ParseRouteTable(Table));
        Assert.Null(DefaultGateway.ParseRouteTable("Iface\tDestination\n"));
        Assert.Null(DefaultGateway.ParseRouteTable("header\neth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\n"));
    }
}
