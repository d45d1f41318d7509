using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using SmartShare.Node.Reachability;
using SmartShare.Node.Reachability.Upnp;

namespace SmartShare.Node.Tests.Reachability.Upnp;

/// <summary>The client's protocol logic against a scripted gateway on loopback, on a fake clock.</summary>
public sealed class UpnpPortMappingTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 12, 5, 10, 0, 0, TimeSpan.Zero);
    private readonly FakeIgd _igd = new();
    private readonly FakeTimeProvider _time = new(Start);

    public void Dispose() => _igd.Dispose();

    [Fact]
    public async Task A_mapping_asks_for_our_address_the_protocol_and_the_lease_and_escapes_the_description()
    {
        _igd.Soap = (action, _) => action == "GetExternalIPAddress"
            ? (200, FakeIgd.Success(action, "<NewExternalIPAddress>11.77.0.1</NewExternalIPAddress>"))
            : (200, FakeIgd.Success(action));
        using var client = Client(new UpnpOptions { Description = "Smart<&>Share" });

        var mapping = await client.MapAsync("udp", 4444, 4445, TimeSpan.FromMinutes(10), CancellationToken.None);

        Assert.Equal(new PortMapping("udp", 4444, IPEndPoint.Parse("11.77.0.1:4445"), "upnp", Start.AddMinutes(10)), mapping);
        var add = Assert.Single(_igd.Actions("AddPortMapping"));
        Assert.Equal(string.Empty, FakeIgd.Argument(add, "NewRemoteHost"));
        Assert.Equal("4445", FakeIgd.Argument(add, "NewExternalPort"));
        Assert.Equal("UDP", FakeIgd.Argument(add, "NewProtocol"));
        Assert.Equal("4444", FakeIgd.Argument(add, "NewInternalPort"));
        Assert.Equal("127.0.0.1", FakeIgd.Argument(add, "NewInternalClient"));
        Assert.Equal("1", FakeIgd.Argument(add, "NewEnabled"));
        Assert.Equal("Smart&lt;&amp;&gt;Share", FakeIgd.Argument(add, "NewPortMappingDescription"));
        Assert.Equal("600", FakeIgd.Argument(add, "NewLeaseDuration"));
        Assert.Contains(_igd.Requests, request => request.Path == "/ctl/IPConn" && request.SoapAction == "\"urn:schemas-upnp-org:service:WANIPConnection:2#AddPortMapping\"");
        Assert.All(_igd.Searches, search => Assert.Contains("MAN: \"ssdp:discover\"", search, StringComparison.Ordinal));
        Assert.Contains(_igd.Searches, search => search.Contains("ST: urn:schemas-upnp-org:device:InternetGatewayDevice:1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_taken_external_port_moves_the_mapping_to_the_next_free_one()
    {
        _igd.Soap = (action, body) => action switch
        {
            "AddPortMapping" when FakeIgd.Argument(body, "NewExternalPort") is "5000" or "5001" => FakeIgd.Fault(718, "ConflictInMappingEntry"),
            "GetExternalIPAddress" => (200, FakeIgd.Success(action, "<NewExternalIPAddress>11.77.0.1</NewExternalIPAddress>")),
            _ => (200, FakeIgd.Success(action)),
        };
        using var client = Client();

        var mapping = await client.MapAsync("tcp", 5000, 5000, TimeSpan.FromHours(1), CancellationToken.None);

        Assert.Equal(5002, mapping.External.Port);
        Assert.Equal(["5000", "5001", "5002"], _igd.Actions("AddPortMapping").Select(body => FakeIgd.Argument(body, "NewExternalPort")));
    }

    [Fact]
    public async Task Conflicts_on_every_port_tried_end_in_error_718_after_the_configured_attempts()
    {
        _igd.Soap = (action, _) => FakeIgd.Fault(718, "ConflictInMappingEntry");
        using var client = Client(new UpnpOptions { ConflictAttempts = 3 });

        var error = await Assert.ThrowsAsync<PortMappingException>(() => client.MapAsync("tcp", 65535, 65535, TimeSpan.FromHours(1), CancellationToken.None));

        Assert.Equal(718, error.ResultCode);
        Assert.Equal(["65535", "1024", "1025"], _igd.Actions("AddPortMapping").Select(body => FakeIgd.Argument(body, "NewExternalPort")));
    }

    [Fact]
    public async Task A_router_that_keeps_only_permanent_leases_gets_lease_zero_and_the_mapping_never_expires()
    {
        _igd.Soap = (action, body) => action switch
        {
            "AddPortMapping" when FakeIgd.Argument(body, "NewLeaseDuration") != "0" => FakeIgd.Fault(725, "OnlyPermanentLeasesSupported"),
            "GetExternalIPAddress" => (200, FakeIgd.Success(action, "<NewExternalIPAddress>11.77.0.1</NewExternalIPAddress>")),
            _ => (200, FakeIgd.Success(action)),
        };
        using var client = Client();

        var mapping = await client.MapAsync("tcp", 6000, 6000, TimeSpan.FromHours(2), CancellationToken.None);

        Assert.Equal(DateTimeOffset.MaxValue, mapping.ExpiresAt);
        Assert.Equal(["7200", "0"], _igd.Actions("AddPortMapping").Select(body => FakeIgd.Argument(body, "NewLeaseDuration")));
    }

    [Fact]
    public async Task A_router_that_wants_equal_ports_gets_the_internal_port_as_the_external_one()
    {
        _igd.Soap = (action, body) => action switch
        {
            "AddPortMapping" when FakeIgd.Argument(body, "NewExternalPort") != FakeIgd.Argument(body, "NewInternalPort") => FakeIgd.Fault(724, "SamePortValuesRequired"),
            "GetExternalIPAddress" => (200, FakeIgd.Success(action, "<NewExternalIPAddress>11.77.0.1</NewExternalIPAddress>")),
            _ => (200, FakeIgd.Success(action)),
        };
        using var client = Client();

        var mapping = await client.MapAsync("tcp", 6000, 7000, TimeSpan.FromHours(1), CancellationToken.None);

        Assert.Equal(6000, mapping.External.Port);
    }

    [Fact]
    public async Task A_fault_becomes_a_port_mapping_error_with_the_upnp_code_and_a_printable_description()
    {
        _igd.Soap = (action, _) => FakeIgd.Fault(606, "Action not&#10;authorized");
        using var client = Client();

        var error = await Assert.ThrowsAsync<PortMappingException>(() => client.MapAsync("tcp", 6000, 6000, TimeSpan.FromHours(1), CancellationToken.None));

        Assert.Equal(606, error.ResultCode);
        Assert.Equal("The router refused AddPortMapping: UPnP error 606 (Action not authorized).", error.Message);
    }

    [Theory]
    [InlineData("<NewExternalIPAddress>0.0.0.0</NewExternalIPAddress>")]
    [InlineData("<NewExternalIPAddress></NewExternalIPAddress>")]
    [InlineData("<NewExternalIPAddress>::1</NewExternalIPAddress>")]
    [InlineData("<NewExternalIPAddress>router.example</NewExternalIPAddress>")]
    [InlineData("")]
    public async Task An_external_address_that_is_not_a_usable_ipv4_address_is_refused(string arguments)
    {
        _igd.Soap = (action, _) => (200, FakeIgd.Success(action, arguments));
        using var client = Client();

        var error = await Assert.ThrowsAsync<PortMappingException>(() => client.GetExternalAddressAsync(CancellationToken.None));

        Assert.Contains("no usable external IPv4 address", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unmapping_deletes_the_external_port_and_a_mapping_already_gone_is_not_an_error()
    {
        _igd.Soap = (action, _) => FakeIgd.Fault(714, "NoSuchEntryInArray");
        using var client = Client();

        await client.UnmapAsync(new PortMapping("udp", 4444, IPEndPoint.Parse("11.77.0.1:4445"), "upnp", Start), CancellationToken.None);

        var delete = Assert.Single(_igd.Actions("DeletePortMapping"));
        Assert.Equal("4445", FakeIgd.Argument(delete, "NewExternalPort"));
        Assert.Equal("UDP", FakeIgd.Argument(delete, "NewProtocol"));
    }

    [Fact]
    public async Task A_location_on_another_host_is_never_fetched()
    {
        using var elsewhere = new TcpListener(IPAddress.Parse("127.0.0.2"), 0);
        elsewhere.Start();
        _igd.Location = $"http://127.0.0.2:{((IPEndPoint)elsewhere.LocalEndpoint).Port}/rootDesc.xml";
        using var client = Client();

        var found = await DriveAsync(client.DiscoverAsync(CancellationToken.None));

        Assert.False(found);
        Assert.NotEmpty(_igd.Searches);
        Assert.False(elsewhere.Pending(), "The client connected to the host the LOCATION named.");
    }

    [Fact]
    public async Task A_control_url_on_another_host_makes_the_description_unusable()
    {
        _igd.Description = FakeIgd.DescriptionWith("http://127.0.0.2:80/ctl/IPConn", "urn:schemas-upnp-org:service:WANIPConnection:1");
        using var client = Client();

        Assert.False(await DriveAsync(client.DiscoverAsync(CancellationToken.None)));
        Assert.Null(client.ControlPoint);
    }

    [Fact]
    public async Task A_description_over_the_size_limit_is_not_read()
    {
        _igd.Description = FakeIgd.DescriptionWith("/ctl/IPConn", "urn:schemas-upnp-org:service:WANIPConnection:2") + new string(' ', UpnpDescription.MaxDocumentCharacters);
        using var client = Client();

        Assert.False(await DriveAsync(client.DiscoverAsync(CancellationToken.None)));
    }

    [Fact]
    public async Task A_wan_ppp_connection_is_used_when_there_is_no_wan_ip_connection_and_url_base_resolves_its_control_url()
    {
        _igd.Description = FakeIgd.DescriptionWith("ctl/PPP", "urn:schemas-upnp-org:service:WANPPPConnection:1", $"<URLBase>http://127.0.0.1:{_igd.HttpPort}/base/</URLBase>");
        using var client = Client();

        Assert.True(await client.DiscoverAsync(CancellationToken.None));

        Assert.Equal(new UpnpControlPoint("urn:schemas-upnp-org:service:WANPPPConnection:1", new Uri($"http://127.0.0.1:{_igd.HttpPort}/base/ctl/PPP")), client.ControlPoint);
    }

    [Fact]
    public async Task Discovery_with_no_answer_ends_when_its_time_limit_passes_on_the_clock_it_was_given()
    {
        _igd.SsdpAnswer = string.Empty;
        using var client = Client(new UpnpOptions { DiscoveryTimeout = TimeSpan.FromSeconds(30) });

        var discovery = client.DiscoverAsync(CancellationToken.None);
        var found = await DriveAsync(discovery);

        Assert.False(found);
        Assert.InRange(_time.GetUtcNow() - Start, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(35));
        // The search went out twice: at once, and again a third of the way into the limit.
        var limit = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (_igd.Searches.Count < 2 * SsdpCodec.SearchTargets.Count && DateTime.UtcNow < limit)
        {
            await Task.Delay(20);
        }

        Assert.Equal(2 * SsdpCodec.SearchTargets.Count, _igd.Searches.Count);
    }

    [Fact]
    public async Task A_router_that_stops_answering_is_searched_for_again_on_the_next_call()
    {
        _igd.Soap = (action, _) => (200, FakeIgd.Success(action, "<NewExternalIPAddress>11.77.0.1</NewExternalIPAddress>"));
        using var client = Client();
        Assert.True(await client.DiscoverAsync(CancellationToken.None));
        _igd.Description = FakeIgd.DescriptionWith($"http://127.0.0.1:{FreePort()}/ctl/IPConn", "urn:schemas-upnp-org:service:WANIPConnection:2");

        // The control URL now goes nowhere: the first call fails and forgets it...
        var searches = _igd.Searches.Count;
        Assert.True(await client.DiscoverAsync(CancellationToken.None));
        await Assert.ThrowsAsync<PortMappingException>(() => DriveAsync(client.GetExternalAddressAsync(CancellationToken.None)));
        Assert.Null(client.ControlPoint);

        // ...and the next one searches again and finds the router where it answers.
        _igd.Description = FakeIgd.DescriptionWith("/ctl/IPConn", "urn:schemas-upnp-org:service:WANIPConnection:2");
        Assert.Equal(IPAddress.Parse("11.77.0.1"), await client.GetExternalAddressAsync(CancellationToken.None));
        Assert.True(_igd.Searches.Count > searches);
    }

    [Theory]
    [InlineData("sctp")]
    [InlineData("")]
    public async Task A_protocol_other_than_tcp_or_udp_is_refused_with_a_sentence(string protocol)
    {
        using var client = Client();

        var error = await Assert.ThrowsAsync<ArgumentException>(() => client.MapAsync(protocol, 1000, 1000, TimeSpan.FromHours(1), CancellationToken.None));

        Assert.Contains("must be tcp or udp", error.Message, StringComparison.Ordinal);
        Assert.Empty(_igd.Searches);
    }

    [Fact]
    public void Options_out_of_range_are_refused_with_a_sentence()
    {
        var error = Assert.Throws<ArgumentException>(() => Client(new UpnpOptions { ConflictAttempts = 0 }));
        Assert.Equal("The UPnP conflict attempts must be from 1 to 64, not 0.", error.Message);
        Assert.Throws<ArgumentException>(() => Client(new UpnpOptions { DiscoveryTimeout = TimeSpan.Zero }));
    }

    [Fact]
    public void The_node_registers_the_upnp_client_as_a_port_mapping_protocol()
    {
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(_time);
        services.AddLogging();
        services.AddReachability();
        using var provider = services.BuildServiceProvider();

        var protocol = Assert.Single(provider.GetServices<IPortMappingProtocol>(), protocol => protocol.Name == "upnp");

        Assert.IsType<UpnpPortMapping>(protocol);
    }

    private UpnpPortMapping Client(UpnpOptions? options = null) =>
        new(_time, NullLogger<UpnpPortMapping>.Instance, (options ?? new UpnpOptions()) with { SearchEndpoint = _igd.SearchEndpoint });

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Advances the fake clock in half-second steps until <paramref name="task"/> ends (at most 20 s of real time).</summary>
    private async Task<T> DriveAsync<T>(Task<T> task)
    {
        var limit = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!task.IsCompleted && DateTime.UtcNow < limit)
        {
            await Task.WhenAny(task, Task.Delay(20));
            if (!task.IsCompleted)
            {
                _time.Advance(TimeSpan.FromMilliseconds(500));
            }
        }

        Assert.True(task.IsCompleted, "The client did not finish within 20 s of real time.");
        return await task;
    }
}
