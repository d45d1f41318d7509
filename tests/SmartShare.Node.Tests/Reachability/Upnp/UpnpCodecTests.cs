using System.Net;
using System.Text;
using SmartShare.Node.Reachability.Upnp;

namespace SmartShare.Node.Tests.Reachability.Upnp;

public sealed class UpnpCodecTests
{
    private static byte[] Ascii(string text) => Encoding.Latin1.GetBytes(text);

    [Fact]
    public void Miniupnpds_ssdp_answer_gives_its_location_search_target_and_server()
    {
        var answer = SsdpCodec.Parse(UpnpSamples.SsdpAnswer);

        Assert.Equal(UpnpSamples.Location, answer.Location);
        Assert.Equal("urn:schemas-upnp-org:service:WANIPConnection:2", answer.SearchTarget);
        Assert.Equal("Debian/6.18.44-fc-v1272 UPnP/1.1 MiniUPnPd/2.3.1", answer.Server);
    }

    [Theory]
    [InlineData("HTTP/1.1 404 Not Found\r\nLOCATION: http://10.0.0.1/d.xml\r\n\r\n", "HTTP 200")]
    [InlineData("NOTIFY * HTTP/1.1\r\nLOCATION: http://10.0.0.1/d.xml\r\n\r\n", "HTTP 200")]
    [InlineData("HTTP/1.1 200 OK\r\nST: x\r\n\r\n", "no LOCATION")]
    [InlineData("HTTP/1.1 200 OK\r\nLOCATION: http://10.0.0.1/a\r\nLocation: http://10.0.0.2/b\r\n\r\n", "two locations")]
    [InlineData("HTTP/1.1 200 OK\r\nLOCATION: https://10.0.0.1/d.xml\r\n\r\n", "absolute http")]
    [InlineData("HTTP/1.1 200 OK\r\nLOCATION: file:///etc/passwd\r\n\r\n", "absolute http")]
    [InlineData("HTTP/1.1 200 OK\r\nLOCATION: /rootDesc.xml\r\n\r\n", "absolute http")]
    [InlineData("HTTP/1.1 200 OK\r\nLOCATION: http://user:pw@10.0.0.1/d.xml\r\n\r\n", "absolute http")]
    [InlineData("HTTP/1.1 200 OK\r\n: no name\r\nLOCATION: http://10.0.0.1/d.xml\r\n\r\n", "no name")]
    [InlineData("HTTP/1.1 200 OK\r\nLOCATION: http://10.0.0.1/\0.xml\r\n\r\n", "control byte")]
    [InlineData("", "HTTP 200")]
    public void A_malformed_ssdp_answer_is_refused_with_a_sentence(string datagram, string reason)
    {
        var error = Assert.Throws<UpnpFormatException>(() => SsdpCodec.Parse(Ascii(datagram)));

        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Ssdp_answers_past_the_size_line_and_location_bounds_are_refused()
    {
        var big = "HTTP/1.1 200 OK\r\nLOCATION: http://10.0.0.1/d.xml\r\nX: " + new string('a', SsdpCodec.MaxResponseBytes) + "\r\n\r\n";
        var lines = "HTTP/1.1 200 OK\r\n" + string.Concat(Enumerable.Repeat("X: 1\r\n", SsdpCodec.MaxHeaderLines)) + "LOCATION: http://10.0.0.1/d.xml\r\n\r\n";
        var location = "HTTP/1.1 200 OK\r\nLOCATION: http://10.0.0.1/" + new string('a', SsdpCodec.MaxLocationLength) + "\r\n\r\n";

        Assert.Contains("limit", Assert.Throws<UpnpFormatException>(() => SsdpCodec.Parse(Ascii(big))).Message, StringComparison.Ordinal);
        Assert.Contains("lines", Assert.Throws<UpnpFormatException>(() => SsdpCodec.Parse(Ascii(lines))).Message, StringComparison.Ordinal);
        Assert.Contains("character limit", Assert.Throws<UpnpFormatException>(() => SsdpCodec.Parse(Ascii(location))).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://10.77.1.1:33123/rootDesc.xml", "10.77.1.1", true)]
    [InlineData("http://10.77.1.1:33123/rootDesc.xml", "::ffff:10.77.1.1", true)]
    [InlineData("http://10.77.1.9:33123/rootDesc.xml", "10.77.1.1", false)]
    [InlineData("http://router.lan:33123/rootDesc.xml", "10.77.1.1", false)]
    [InlineData("http://169.254.169.254/latest/meta-data/", "10.77.1.1", false)]
    [InlineData("http://127.0.0.1:8080/admin", "10.77.1.1", false)]
    public void Only_a_location_naming_the_device_that_answered_is_acceptable(string location, string responder, bool acceptable)
    {
        Assert.Equal(acceptable, SsdpCodec.IsAcceptableLocation(new Uri(location), IPAddress.Parse(responder)));
    }

    [Fact]
    public void The_search_is_an_ssdp_m_search_for_the_target()
    {
        var search = Encoding.ASCII.GetString(SsdpCodec.BuildSearch("urn:schemas-upnp-org:device:InternetGatewayDevice:1", 2, SsdpCodec.MulticastEndpoint));

        Assert.Equal("M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: \"ssdp:discover\"\r\nMX: 2\r\nST: urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\nUSER-AGENT: SmartShare UPnP/1.1\r\n\r\n", search);
    }

    [Fact]
    public void Miniupnpds_description_leads_to_its_wan_ip_connection_2_control_url()
    {
        var controlPoint = UpnpDescription.Parse(UpnpSamples.Description, UpnpSamples.Location);

        Assert.Equal(new UpnpControlPoint("urn:schemas-upnp-org:service:WANIPConnection:2", new Uri("http://10.77.1.1:33123/ctl/IPConn")), controlPoint);
    }

    [Fact]
    public void Wan_ip_connection_is_preferred_to_wan_ppp_connection_wherever_it_sits()
    {
        var xml = $"""
            <root xmlns="urn:schemas-upnp-org:device-1-0"><device><serviceList>
            <service><serviceType>urn:schemas-upnp-org:service:WANPPPConnection:1</serviceType><controlURL>/ppp</controlURL></service>
            </serviceList><deviceList><device><serviceList>
            <service><serviceType>urn:schemas-upnp-org:service:WANIPConnection:1</serviceType><controlURL>/ip1</controlURL></service>
            </serviceList></device></deviceList></device></root>
            """;

        var controlPoint = UpnpDescription.Parse(Encoding.UTF8.GetBytes(xml), UpnpSamples.Location);

        Assert.Equal("urn:schemas-upnp-org:service:WANIPConnection:1", controlPoint.ServiceType);
        Assert.Equal(new Uri("http://10.77.1.1:33123/ip1"), controlPoint.ControlUrl);
    }

    [Theory]
    [InlineData("""<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><root>&b;</root>""", "DTD")]
    [InlineData("""<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><root>&x;</root>""", "DTD")]
    [InlineData("""<root><device><serviceList><service><serviceType>urn:schemas-upnp-org:service:Layer3Forwarding:1</serviceType><controlURL>/l3f</controlURL></service></serviceList></device></root>""", "no WANIPConnection")]
    [InlineData("""<root><service><serviceType>urn:schemas-upnp-org:service:WANIPConnection:1</serviceType><controlURL>http://10.9.9.9/ctl</controlURL></service></root>""", "not http on the router")]
    [InlineData("""<root><service><serviceType>urn:schemas-upnp-org:service:WANIPConnection:1</serviceType><controlURL>https://10.77.1.1/ctl</controlURL></service></root>""", "not http on the router")]
    [InlineData("""<root><service><serviceType>urn:schemas-upnp-org:service:WANIPConnection:1</serviceType><controlURL></controlURL></service></root>""", "empty")]
    [InlineData("""<root><service><serviceType>urn:schemas-upnp-org:service:WANIPConnection:1</serviceType><controlURL><a/></controlURL></service></root>""", "not well-formed")]
    [InlineData("""<root><service>""", "not well-formed")]
    [InlineData("", "not well-formed")]
    public void A_hostile_or_useless_description_is_refused_with_a_sentence(string xml, string reason)
    {
        var error = Assert.Throws<UpnpFormatException>(() => UpnpDescription.Parse(Encoding.UTF8.GetBytes(xml), UpnpSamples.Location));

        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1.0")]
    [InlineData("1.0\" encoding=\"utf-16")]
    [InlineData("1.0\" encoding=\"iso-8859-1")]
    public void An_xml_declaration_followed_by_bytes_no_encoding_reads_is_refused_with_a_sentence(string declared)
    {
        // The fuzzing campaign's input: .NET's XML reader, reading bytes, switched encoding at the declaration and
        // threw ArgumentOutOfRangeException from a negative copy instead of an XmlException.
        var bytes = Encoding.ASCII.GetBytes("<?xml version=\"" + declared).Concat(Enumerable.Repeat((byte)0x92, 458))
            .Concat(Encoding.ASCII.GetBytes("\"?>\n<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body><u")).ToArray();

        Assert.Throws<UpnpFormatException>(() => UpnpSoap.ParseResponse(bytes, "AddPortMapping"));
        Assert.Throws<UpnpFormatException>(() => UpnpDescription.Parse(bytes, UpnpSamples.Location));
    }

    [Fact]
    public void A_description_with_a_byte_order_mark_and_a_declaration_is_read()
    {
        var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><root><device><serviceList><service><serviceType>urn:schemas-upnp-org:service:WANIPConnection:1</serviceType>" +
            "<controlURL>/ctl</controlURL></service></serviceList></device></root>";
        var bytes = Encoding.UTF8.Preamble.ToArray().Concat(Encoding.UTF8.GetBytes(xml)).ToArray();

        Assert.Equal(new Uri("http://10.77.1.1:33123/ctl"), UpnpDescription.Parse(bytes, UpnpSamples.Location).ControlUrl);
    }

    [Fact]
    public void A_url_base_on_another_host_is_ignored_and_the_control_url_resolves_against_the_location()
    {
        Assert.Equal(new Uri("http://10.77.1.1:33123/ctl"), UpnpDescription.ResolveControlUrl("/ctl", "http://10.9.9.9:80/", UpnpSamples.Location));
        Assert.Equal(new Uri("http://10.77.1.1:5000/x/ctl"), UpnpDescription.ResolveControlUrl("ctl", "http://10.77.1.1:5000/x/", UpnpSamples.Location));
    }

    [Fact]
    public void Descriptions_past_the_service_or_size_bounds_are_refused()
    {
        var many = "<root>" + string.Concat(Enumerable.Repeat("<service><serviceType>t</serviceType><controlURL>/c</controlURL></service>", UpnpDescription.MaxServices + 1)) + "</root>";
        var big = new byte[UpnpDescription.MaxDocumentCharacters + 1];

        Assert.Contains("services", Assert.Throws<UpnpFormatException>(() => UpnpDescription.Parse(Encoding.UTF8.GetBytes(many), UpnpSamples.Location)).Message, StringComparison.Ordinal);
        Assert.Contains("limit", Assert.Throws<UpnpFormatException>(() => UpnpDescription.Parse(big, UpnpSamples.Location)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Miniupnpds_soap_answers_give_their_arguments_and_its_fault_its_code()
    {
        var external = UpnpSoap.ParseResponse(UpnpSamples.ExternalAddressAnswer, "GetExternalIPAddress");
        var added = UpnpSoap.ParseResponse(UpnpSamples.AddPortMappingAnswer, "AddPortMapping");
        var conflict = UpnpSoap.ParseResponse(UpnpSamples.ConflictFault, "AddPortMapping");

        Assert.Equal("11.77.0.1", Assert.Single(external.Arguments, pair => pair.Key == "NewExternalIPAddress").Value);
        Assert.False(external.IsFault);
        Assert.Empty(added.Arguments);
        Assert.False(added.IsFault);
        Assert.Equal(new UpnpSoapResponse(conflict.Arguments, true, 718, "ConflictInMappingEntry"), conflict);
    }

    [Fact]
    public void A_fault_without_a_upnp_error_is_a_fault_with_no_code()
    {
        var body = """<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault><faultcode>s:Server</faultcode></s:Fault></s:Body></s:Envelope>""";

        var answer = UpnpSoap.ParseResponse(Encoding.UTF8.GetBytes(body), "AddPortMapping");

        Assert.True(answer.IsFault);
        Assert.Null(answer.ErrorCode);
    }

    [Theory]
    [InlineData("""<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><u:DeletePortMappingResponse xmlns:u="x"/></s:Body></s:Envelope>""", "not AddPortMappingResponse")]
    [InlineData("""<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"></s:Envelope>""", "no Body")]
    [InlineData("""<Envelope><Body><AddPortMappingResponse/></Body></Envelope>""", "no Body")]
    [InlineData("""<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body></s:Body></s:Envelope>""", "empty")]
    [InlineData("""<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault><detail><UPnPError><errorCode>-1</errorCode></UPnPError></detail></s:Fault></s:Body></s:Envelope>""", "errorCode")]
    [InlineData("""<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault><detail><UPnPError><errorCode>99999999999</errorCode></UPnPError></detail></s:Fault></s:Body></s:Envelope>""", "errorCode")]
    [InlineData("""<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><u:AddPortMappingResponse xmlns:u="x"><A>1</A><A>2</A></u:AddPortMappingResponse></s:Body></s:Envelope>""", "twice")]
    [InlineData("""<!DOCTYPE s [<!ENTITY e "x">]><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>&e;</s:Body></s:Envelope>""", "DTD")]
    [InlineData("not xml", "not well-formed")]
    public void A_malformed_soap_answer_is_refused_with_a_sentence(string body, string reason)
    {
        var error = Assert.Throws<UpnpFormatException>(() => UpnpSoap.ParseResponse(Encoding.UTF8.GetBytes(body), "AddPortMapping"));

        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Soap_answers_past_the_argument_or_size_bounds_are_refused()
    {
        var arguments = string.Concat(Enumerable.Range(0, UpnpSoap.MaxArguments + 1).Select(i => $"<A{i}>1</A{i}>"));
        var many = $"""<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><u:XResponse xmlns:u="x">{arguments}</u:XResponse></s:Body></s:Envelope>""";

        Assert.Contains("arguments", Assert.Throws<UpnpFormatException>(() => UpnpSoap.ParseResponse(Encoding.UTF8.GetBytes(many), "X")).Message, StringComparison.Ordinal);
        Assert.Contains("limit", Assert.Throws<UpnpFormatException>(() => UpnpSoap.ParseResponse(new byte[UpnpSoap.MaxResponseBytes + 1], "X")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_request_escapes_its_values_and_names_the_service()
    {
        var envelope = UpnpSoap.BuildRequest("urn:schemas-upnp-org:service:WANIPConnection:1", "AddPortMapping", [new("NewPortMappingDescription", "a<b>&\"c\"")]);

        Assert.Contains("<u:AddPortMapping xmlns:u=\"urn:schemas-upnp-org:service:WANIPConnection:1\"><NewPortMappingDescription>a&lt;b&gt;&amp;\"c\"</NewPortMappingDescription></u:AddPortMapping>", envelope, StringComparison.Ordinal);
        Assert.Equal("\"urn:schemas-upnp-org:service:WANIPConnection:1#AddPortMapping\"", UpnpSoap.ActionHeader("urn:schemas-upnp-org:service:WANIPConnection:1", "AddPortMapping"));
    }
}
