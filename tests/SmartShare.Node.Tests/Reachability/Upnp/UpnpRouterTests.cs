using SmartShare.Tests.Shared;
using Xunit.Abstractions;

namespace SmartShare.Node.Tests.Reachability.Upnp;

/// <summary>
/// The UPnP client against a real router: Debian's miniupnpd (UPnP only) in the <see cref="NatLab"/>, found by SSDP
/// multicast from the "home" namespace, with a host in "internet" connecting through the mappings it makes. The
/// client runs in "home" through <see cref="UpnpProbe"/>. Needs root; where namespaces cannot be made the test
/// returns early and says why (xunit 2 has no runtime skip).
/// </summary>
public sealed class UpnpRouterTests(ITestOutputHelper output)
{
    private static readonly NatLabOptions UpnpOnly = new() { NatPmp = false };

    [Fact]
    public async Task The_client_finds_the_router_maps_tcp_and_udp_that_the_internet_reaches_and_deletes_them()
    {
        await using var lab = await NatLab.TryCreateAsync("ssup", output.WriteLine, UpnpOnly);
        if (lab is null)
        {
            return;
        }

        var wan = lab.RouterWanAddress.ToString();
        using var home = new UpnpProbe(lab.Home, output);
        var discovered = await home.MustAsync("discover");
        Assert.True(discovered.GetProperty("found").GetBoolean(), $"No router found.\n{lab.RouterLog}");
        Assert.Equal("urn:schemas-upnp-org:service:WANIPConnection:2", discovered.GetProperty("serviceType").GetString());
        Assert.Equal(lab.HomeAddress.ToString(), discovered.GetProperty("internalClient").GetString());
        Assert.StartsWith($"http://{lab.RouterLanAddress}:", discovered.GetProperty("controlUrl").GetString(), StringComparison.Ordinal);

        var tcp = await home.MustAsync("map tcp 4000 4000 600");
        var firstMapping = discovered.GetProperty("ms").GetDouble() + tcp.GetProperty("ms").GetDouble();
        output.WriteLine($"Measured: discovery + first mapping {firstMapping:0} ms.");
        Assert.Equal($"{wan}:4000", tcp.GetProperty("external").GetString());
        Assert.False(tcp.GetProperty("permanent").GetBoolean());
        Assert.InRange(tcp.GetProperty("expiresInSeconds").GetDouble(), 500, 600);
        var udp = await home.MustAsync("map udp 4001 4001 600");
        Assert.Equal($"{wan}:4001", udp.GetProperty("external").GetString());
        Assert.Equal(wan, (await home.MustAsync("external")).GetProperty("address").GetString());

        var table = await lab.ReadMappingsAsync();
        Assert.Contains(new NatLabMapping("tcp", 4000, lab.HomeAddress, 4000), table);
        Assert.Contains(new NatLabMapping("udp", 4001, lab.HomeAddress, 4001), table);

        await home.MustAsync("listen tcp 4000");
        await home.MustAsync("listen udp 4001");
        using (var internet = new UpnpProbe(lab.Internet, output))
        {
            var reached = await internet.MustAsync($"connect tcp {wan} 4000");
            Assert.StartsWith($"hello from {lab.HomeAddress}:4000 to {lab.InternetAddress}:", reached.GetProperty("line").GetString(), StringComparison.Ordinal);
            var echoed = await internet.MustAsync($"connect udp {wan} 4001");
            Assert.StartsWith($"echo ping from {lab.InternetAddress}:", echoed.GetProperty("line").GetString(), StringComparison.Ordinal);
        }

        await home.MustAsync("unmap tcp 4000 4000");
        await home.MustAsync("unmap udp 4001 4001");
        Assert.Empty(await lab.ReadMappingsAsync());
        using (var internet = new UpnpProbe(lab.Internet, output))
        {
            var refused = await internet.SendAsync($"connect tcp {wan} 4000");
            Assert.False(refused.GetProperty("ok").GetBoolean(), $"The deleted mapping still forwards: {refused}");
        }
    }

    [Fact]
    public async Task An_external_port_another_host_holds_moves_the_mapping_to_the_next_port()
    {
        await using var lab = await NatLab.TryCreateAsync("ssup", output.WriteLine, UpnpOnly);
        if (lab is null)
        {
            return;
        }

        // Another machine on the LAN (10.77.1.3) holds external port 4100, mapped by the reference client upnpc.
        var other = await lab.RunAsync(lab.Home, "upnpc", "-a", "10.77.1.3", "4100", "4100", "TCP", "600");
        var otherMapping = new NatLabMapping("tcp", 4100, System.Net.IPAddress.Parse("10.77.1.3"), 4100);
        Assert.True(other.Succeeded && (await lab.ReadMappingsAsync()).Contains(otherMapping), $"upnpc could not take port 4100: {other}");

        using var home = new UpnpProbe(lab.Home, output);
        var moved = await home.MustAsync("map tcp 4100 4100 600");

        Assert.Equal($"{lab.RouterWanAddress}:4101", moved.GetProperty("external").GetString());
        Assert.Equal([otherMapping, new NatLabMapping("tcp", 4101, lab.HomeAddress, 4100)], (await lab.ReadMappingsAsync()).OrderBy(m => m.ExternalPort));

        // Asked again for the port it got (a renewal), the router keeps our mapping where it is.
        var renewed = await home.MustAsync("map tcp 4100 4101 600");
        Assert.Equal($"{lab.RouterWanAddress}:4101", renewed.GetProperty("external").GetString());
        Assert.Equal(2, (await lab.ReadMappingsAsync()).Count);
    }

    [Fact]
    public async Task With_no_router_on_the_lan_discovery_answers_false_within_its_limit()
    {
        await using var lab = await NatLab.TryCreateAsync("ssup", output.WriteLine, UpnpOnly);
        if (lab is null)
        {
            return;
        }

        // The internet namespace has no UPnP device: the search goes unanswered.
        using var internet = new UpnpProbe(lab.Internet, output, "--discovery-timeout", "2");
        var answer = await internet.MustAsync("discover");

        Assert.False(answer.GetProperty("found").GetBoolean());
        Assert.InRange(answer.GetProperty("ms").GetDouble(), 1500, 15_000);
        var mapped = await internet.SendAsync("map tcp 4000 4000 600");
        Assert.False(mapped.GetProperty("ok").GetBoolean());
        Assert.Contains("No UPnP internet gateway", mapped.GetProperty("error").GetString(), StringComparison.Ordinal);
    }
}
