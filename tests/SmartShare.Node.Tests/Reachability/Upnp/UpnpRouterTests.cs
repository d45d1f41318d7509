using System.Text.Json;
using Xunit.Abstractions;

namespace SmartShare.Node.Tests.Reachability.Upnp;

/// <summary>
/// The UPnP client against a real router: Debian's miniupnpd in a namespace lab, found by SSDP multicast from the
/// "home" namespace, with a host in "internet" connecting through the mappings it makes.
/// </summary>
public sealed class UpnpRouterTests(ITestOutputHelper output) : IDisposable
{
    private readonly UpnpRouterLab? _lab = UpnpRouterLab.TryCreate(out var skipReason) is { } lab ? lab : Skipped(output, skipReason);

    public void Dispose() => _lab?.Dispose();

    [Fact]
    public async Task The_client_finds_the_router_maps_tcp_and_udp_that_the_internet_reaches_and_deletes_them()
    {
        if (_lab is null)
        {
            return;
        }

        using var home = new UpnpProbe(_lab.Home, output);
        var discovered = await home.MustAsync("discover");
        Assert.True(discovered.GetProperty("found").GetBoolean(), $"No router found.\n{_lab.RouterLog}");
        Assert.Equal("urn:schemas-upnp-org:service:WANIPConnection:2", discovered.GetProperty("serviceType").GetString());
        Assert.Equal(UpnpRouterLab.HomeAddress, discovered.GetProperty("internalClient").GetString());
        Assert.StartsWith($"http://{UpnpRouterLab.RouterLan}:", discovered.GetProperty("controlUrl").GetString(), StringComparison.Ordinal);

        var tcp = await home.MustAsync("map tcp 4000 4000 600");
        var firstMapping = discovered.GetProperty("ms").GetDouble() + tcp.GetProperty("ms").GetDouble();
        output.WriteLine($"Discovery + first mapping: {firstMapping:0} ms.");
        Assert.Equal($"{UpnpRouterLab.RouterWan}:4000", tcp.GetProperty("external").GetString());
        Assert.False(tcp.GetProperty("permanent").GetBoolean());
        Assert.InRange(tcp.GetProperty("expiresInSeconds").GetDouble(), 500, 600);
        var udp = await home.MustAsync("map udp 4001 4001 600");
        Assert.Equal($"{UpnpRouterLab.RouterWan}:4001", udp.GetProperty("external").GetString());
        Assert.Equal(UpnpRouterLab.RouterWan, (await home.MustAsync("external")).GetProperty("address").GetString());

        var rules = _lab.NatRules();
        Assert.Contains(rules, rule => rule.Contains("th dport 4000 dnat ip to 10.77.1.2:4000", StringComparison.Ordinal) && rule.Contains("0x6", StringComparison.Ordinal));
        Assert.Contains(rules, rule => rule.Contains("th dport 4001 dnat ip to 10.77.1.2:4001", StringComparison.Ordinal) && rule.Contains("0x11", StringComparison.Ordinal));

        await home.MustAsync("listen tcp 4000");
        await home.MustAsync("listen udp 4001");
        using (var internet = new UpnpProbe(_lab.Internet, output))
        {
            var reached = await internet.MustAsync($"connect tcp {UpnpRouterLab.RouterWan} 4000");
            Assert.StartsWith($"hello from {UpnpRouterLab.HomeAddress}:4000 to {UpnpRouterLab.InternetAddress}:", reached.GetProperty("line").GetString(), StringComparison.Ordinal);
            var echoed = await internet.MustAsync($"connect udp {UpnpRouterLab.RouterWan} 4001");
            Assert.StartsWith($"echo ping from {UpnpRouterLab.InternetAddress}:", echoed.GetProperty("line").GetString(), StringComparison.Ordinal);
        }

        await home.MustAsync("unmap tcp 4000 4000");
        await home.MustAsync("unmap udp 4001 4001");
        Assert.Empty(_lab.NatRules());
        using (var internet = new UpnpProbe(_lab.Internet, output))
        {
            var refused = await internet.SendAsync($"connect tcp {UpnpRouterLab.RouterWan} 4000");
            Assert.False(refused.GetProperty("ok").GetBoolean(), $"The deleted mapping still forwards: {refused}");
        }
    }

    [Fact]
    public async Task An_external_port_another_host_holds_moves_the_mapping_to_the_next_port()
    {
        if (_lab is null)
        {
            return;
        }

        // Another machine on the LAN (10.77.1.3) holds external port 4100, mapped by the reference client upnpc.
        var other = UpnpRouterLab.Exec(_lab.Home, "upnpc", "-a", "10.77.1.3", "4100", "4100", "TCP", "600");
        Assert.True(other.ExitCode == 0 && _lab.NatRules().Any(rule => rule.Contains("dport 4100 dnat ip to 10.77.1.3:4100", StringComparison.Ordinal)), $"upnpc could not take port 4100: {other.Output}{other.Error}");

        using var home = new UpnpProbe(_lab.Home, output);
        var moved = await home.MustAsync("map tcp 4100 4100 600");

        Assert.Equal($"{UpnpRouterLab.RouterWan}:4101", moved.GetProperty("external").GetString());
        var rules = _lab.NatRules();
        Assert.Contains(rules, rule => rule.Contains("dport 4100 dnat ip to 10.77.1.3:4100", StringComparison.Ordinal));
        Assert.Contains(rules, rule => rule.Contains("dport 4101 dnat ip to 10.77.1.2:4100", StringComparison.Ordinal));

        // Asked again for the same port (a renewal), the router keeps our mapping where it is.
        var renewed = await home.MustAsync("map tcp 4100 4101 600");
        Assert.Equal($"{UpnpRouterLab.RouterWan}:4101", renewed.GetProperty("external").GetString());
        Assert.Equal(2, _lab.NatRules().Count);
    }

    [Fact]
    public async Task With_no_router_on_the_lan_discovery_answers_false_within_its_limit()
    {
        if (_lab is null)
        {
            return;
        }

        // The internet namespace has no UPnP device: the search goes unanswered.
        using var internet = new UpnpProbe(_lab.Internet, output, "--discovery-timeout", "2");
        var answer = await internet.MustAsync("discover");

        Assert.False(answer.GetProperty("found").GetBoolean());
        Assert.InRange(answer.GetProperty("ms").GetDouble(), 1500, 15_000);
        var mapped = await internet.SendAsync("map tcp 4000 4000 600");
        Assert.False(mapped.GetProperty("ok").GetBoolean());
        Assert.Contains("No UPnP internet gateway", mapped.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    private static UpnpRouterLab? Skipped(ITestOutputHelper output, string reason)
    {
        output.WriteLine("Skipped: " + reason);
        return null;
    }
}
