using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using SmartShare.Node.Networks;
using SmartShare.Node.Reachability;
using SmartShare.Node.Settings;

namespace SmartShare.Node.Tests.Reachability;

/// <summary>
/// The port-mapping service on a fake clock with scripted routers: the order protocols are tried in, renewal at
/// half the lease, doubling retries while no router answers, everything mapped again when the router restarts,
/// mappings deleted on stop and when the setting is turned off, and the external address reported.
/// </summary>
public sealed class PortMappingServiceTests : IDisposable
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(7200);

    private readonly NodeTestDirectory _directory = new();
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-12-05T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private readonly ConcurrentQueue<string> _journal = new();
    private readonly RecordingSink _sink = new();
    private readonly FakeNetwork _network = new(
        new NetworkEndPoint("dht", "udp", new IPEndPoint(IPAddress.Any, 4444)),
        new NetworkEndPoint("blob_exchange", "tcp", new IPEndPoint(IPAddress.Any, 4444)),
        new NetworkEndPoint("peers", "tcp", new IPEndPoint(IPAddress.Any, 6881)),
        new NetworkEndPoint("dht", "udp", new IPEndPoint(IPAddress.Any, 6881)));

    [Fact]
    public async Task Pcp_is_tried_first_then_nat_pmp_then_the_others_in_registration_order()
    {
        var upnp = Protocol("upnp");
        var natPmp = Protocol("nat-pmp");
        var pcp = Protocol("pcp");
        pcp.Present = false;
        natPmp.Present = false;
        using var service = Service([upnp, natPmp, pcp]);

        await service.StartAsync(CancellationToken.None);
        await WaitUntilAsync(() => service.State == "mapped", "the service mapped through upnp");

        Assert.Equal(["pcp discover", "nat-pmp discover", "upnp discover"], _journal.Where(line => line.EndsWith("discover", StringComparison.Ordinal)));
        Assert.Equal("upnp", service.Describe()!["method"]!.GetValue<string>());
        await service.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Every_bound_port_is_mapped_once_and_renewed_at_half_the_lease()
    {
        var pcp = Protocol("pcp");
        using var service = Service([pcp, Protocol("nat-pmp")]);
        var start = _time.GetUtcNow();

        await service.StartAsync(CancellationToken.None);
        await WaitUntilAsync(() => service.State == "mapped" && service.WakeAt is not null, "the four ports are mapped");

        Assert.Equal([("tcp", 4444), ("tcp", 6881), ("udp", 4444), ("udp", 6881)], service.Current.Select(m => (m.Protocol, m.InternalPort)).Order());
        Assert.Equal(start + (Lease / 2), service.WakeAt);
        Assert.Equal((ScriptedPortMappingProtocol.External, ExternalAddressSource.Gateway), Assert.Single(_sink.Reports.Distinct()));
        var status = service.Describe()!.AsObject();
        Assert.Equal("11.77.1.1", status["external_address"]!.GetValue<string>());
        Assert.Equal(4, status["mappings"]!.AsArray().Count);

        _time.Advance((Lease / 2) - TimeSpan.FromSeconds(1));
        await WaitUntilAsync(() => service.WakeAt == start + (Lease / 2), "the service waits on for the renewal");
        Assert.Equal(4, pcp.Count("map"));

        _time.Advance(TimeSpan.FromSeconds(1));
        await WaitUntilAsync(() => pcp.Count("map") == 8 && service.WakeAt is not null, "the four leases are renewed");
        Assert.All(pcp.Calls.Where(c => c.Call == "map").Skip(4), c => Assert.Equal(start + (Lease / 2), c.At));
        Assert.Equal(start + (Lease / 2) + (Lease / 2), service.WakeAt);

        await service.StopAsync(CancellationToken.None);
        Assert.Equal(4, pcp.Count("unmap"));
        Assert.Empty(service.Current);
        Assert.Equal("off", service.State);
    }

    [Fact]
    public async Task A_shorter_lease_granted_by_the_router_is_renewed_at_half_of_it()
    {
        var pcp = Protocol("pcp");
        pcp.GrantedLease = TimeSpan.FromSeconds(120);
        using var service = Service([pcp]);
        var start = _time.GetUtcNow();

        await service.StartAsync(CancellationToken.None);
        await WaitUntilAsync(() => service.State == "mapped" && service.WakeAt is not null, "the ports are mapped");

        Assert.Equal(start + TimeSpan.FromSeconds(60), service.WakeAt);
        await service.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task With_no_router_the_search_is_repeated_after_doubling_waits_until_one_answers()
    {
        var pcp = Protocol("pcp");
        var natPmp = Protocol("nat-pmp");
        pcp.Present = natPmp.Present = false;
        using var service = Service([pcp, natPmp]);
        var start = _time.GetUtcNow();

        await service.StartAsync(CancellationToken.None);
        await WaitUntilAsync(() => service.State == "failed" && service.WakeAt is not null, "the search failed");
        Assert.Equal(start + PortMappingService.FirstRetryDelay, service.WakeAt);
        Assert.Contains("No router answered pcp, nat-pmp", service.Describe()!["reason"]!.GetValue<string>(), StringComparison.Ordinal);

        _time.Advance(PortMappingService.FirstRetryDelay);
        await WaitUntilAsync(() => pcp.Count("discover") == 2 && service.WakeAt is not null, "the second search");
        Assert.Equal(start + (3 * PortMappingService.FirstRetryDelay), service.WakeAt);

        _time.Advance(2 * PortMappingService.FirstRetryDelay);
        await WaitUntilAsync(() => pcp.Count("discover") == 3 && service.WakeAt is not null, "the third search");
        Assert.Equal(start + (7 * PortMappingService.FirstRetryDelay), service.WakeAt);

        natPmp.Present = true;
        _time.Advance(4 * PortMappingService.FirstRetryDelay);
        await WaitUntilAsync(() => service.State == "mapped", "NAT-PMP is used once its router answers");
        Assert.Equal(4, natPmp.Count("map"));
        Assert.Equal(0, pcp.Count("map"));
        await service.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task A_router_that_refuses_every_mapping_is_tried_again_later_and_its_sentence_shown()
    {
        var pcp = Protocol("pcp");
        pcp.Refusal = "PCP could not map tcp port 4444: the gateway refused.";
        using var service = Service([pcp]);

        await service.StartAsync(CancellationToken.None);
        await WaitUntilAsync(() => service.State == "failed" && service.WakeAt is not null, "the mapping failed");

        Assert.StartsWith(pcp.Refusal, service.Describe()!["reason"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Empty(service.Current);
        pcp.Refusal = null;
        _time.Advance(PortMappingService.FirstRetryDelay);
        await WaitUntilAsync(() => service.State == "mapped", "the retry maps");
        await service.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task When_the_router_restarts_every_port_is_mapped_again_at_once()
    {
        var pcp = Protocol("pcp");
        using var service = Service([pcp]);
        await service.StartAsync(CancellationToken.None);
        await WaitUntilAsync(() => service.State == "mapped" && service.WakeAt is not null, "the ports are mapped");
        var restartedAt = _time.GetUtcNow();

        pcp.Restart();

        await WaitUntilAsync(() => pcp.Count("map") >= 8 && service.WakeAt is not null, "the ports are mapped again");
        Assert.Equal(8, pcp.Count("map"));
        Assert.All(pcp.Calls.Where(c => c.Call == "map").Skip(4), c => Assert.Equal(restartedAt, c.At));
        Assert.Equal(1, service.Restarts);
        Assert.Equal(1, service.Describe()!["restarts"]!.GetValue<int>());
        await service.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Turning_the_setting_off_deletes_the_mappings_and_turning_it_on_maps_again()
    {
        var pcp = Protocol("pcp");
        var settings = NodeSettingsStore.Load(_directory.Path, new Dictionary<string, JsonNode?>(), _ => null);
        using var service = Service([pcp], settings);
        await service.StartAsync(CancellationToken.None);
        await WaitUntilAsync(() => service.State == "mapped" && service.WakeAt is not null, "the ports are mapped");

        settings.Set(NodeSettingKeys.PortMapping, false);
        _time.Advance(PortMappingService.SettingsPoll);
        await WaitUntilAsync(() => service.State == "off", "the service turned off");
        Assert.Equal(4, pcp.Count("unmap"));
        Assert.Contains("turned off", service.Describe()!["reason"]!.GetValue<string>(), StringComparison.Ordinal);

        settings.Set(NodeSettingKeys.PortMapping, true);
        _time.Advance(PortMappingService.SettingsPoll);
        await WaitUntilAsync(() => service.State == "mapped", "the service mapped again");
        Assert.Equal(8, pcp.Count("map"));
        await service.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Ports_bound_to_loopback_are_not_mapped_and_the_router_is_not_asked()
    {
        var pcp = Protocol("pcp");
        var loopback = new FakeNetwork(new NetworkEndPoint("peers", "tcp", new IPEndPoint(IPAddress.Loopback, 6881)));
        using var service = new PortMappingService([pcp], [loopback], _sink, Settings(), _time, NullLogger<PortMappingService>.Instance);

        await service.StartAsync(CancellationToken.None);
        await WaitUntilAsync(() => service.State == "off" && service.Describe()!["reason"]!.GetValue<string>().Contains("loopback", StringComparison.Ordinal), "the service says why it is off");

        Assert.Empty(pcp.Calls);
        await service.StopAsync(CancellationToken.None);
    }

    [Fact]
    public void The_settings_are_checked_with_a_sentence()
    {
        var settings = Settings();

        Assert.True(settings.Current.PortMapping);
        Assert.Equal(7200, settings.Current.PortMappingLeaseSeconds);
        var tooShort = Assert.Throws<NodeSettingsException>(() => settings.Set(NodeSettingKeys.PortMappingLease, 5));
        Assert.Contains("port_mapping_lease", tooShort.Message, StringComparison.Ordinal);
        var notBoolean = Assert.Throws<NodeSettingsException>(() => settings.Set(NodeSettingKeys.PortMapping, "yes"));
        Assert.Contains("port_mapping", notBoolean.Message, StringComparison.Ordinal);
        Assert.Equal(30, NodeSettingsStore.Load(_directory.Path, new Dictionary<string, JsonNode?>(), key => key == "SMARTSHARE_PORT_MAPPING_LEASE" ? "30" : null).Current.PortMappingLeaseSeconds);
    }

    public void Dispose() => _directory.Dispose();

    private ScriptedPortMappingProtocol Protocol(string name) => new(name, _time, _journal);

    private NodeSettingsStore Settings() => NodeSettingsStore.Load(_directory.Path, new Dictionary<string, JsonNode?>(), _ => null);

    private PortMappingService Service(IEnumerable<IPortMappingProtocol> protocols, NodeSettingsStore? settings = null) =>
        new(protocols, [_network], _sink, settings ?? Settings(), _time, NullLogger<PortMappingService>.Instance);

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Timed out waiting until {what}.");
            await Task.Delay(5);
        }
    }

    private sealed class RecordingSink : IExternalAddressSink
    {
        public ConcurrentQueue<(IPAddress Address, ExternalAddressSource Source)> Reports { get; } = new();

        public void Report(IPAddress address, ExternalAddressSource source, IPAddress reporter) => Reports.Enqueue((address, source));
    }

    private sealed class FakeNetwork(params NetworkEndPoint[] endPoints) : INetworkService
    {
        public string Name => "fake";

        public IReadOnlyList<NetworkEndPoint> EndPoints => endPoints;

        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public JsonObject? Describe() => null;
    }
}
