using System.Net;
using SmartShare.Tests.Shared;
using Xunit.Abstractions;

namespace SmartShare.Cli.Tests.Reachability;

/// <summary>
/// The home-router lab itself, checked with the reference NAT-PMP client (natpmpc) before any test trusts it:
/// a port mapped from "home" is in the router's table and reached from "internet" through the router's external
/// address; a reboot empties the table; disposing removes the namespaces. Needs root; where namespaces cannot be
/// made the test returns early and says why in its output (xunit 2 has no runtime skip).
/// </summary>
public sealed class NatLabTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_port_mapped_with_natpmpc_reaches_home_from_the_internet_and_a_reboot_forgets_it()
    {
        string[] names;
        await using (var lab = await NatLab.TryCreateAsync("sspm", output.WriteLine))
        {
            if (lab is null)
            {
                return;
            }

            names = [lab.Home, lab.Router, lab.Internet];
            Assert.Empty(await lab.ReadMappingsAsync());

            // natpmpc -a PUBLIC PRIVATE PROTOCOL LIFETIME
            var mapped = await lab.RunAsync(lab.Home, "natpmpc", "-g", lab.RouterLanAddress.ToString(), "-a", "4100", "4000", "tcp", "60");
            output.WriteLine(mapped.ToString());
            Assert.True(mapped.Succeeded, mapped.ToString());
            Assert.Contains("Public IP address : " + lab.RouterWanAddress, mapped.Output, StringComparison.Ordinal);
            var mapping = Assert.Single(await lab.ReadMappingsAsync());
            Assert.Equal(new NatLabMapping("tcp", 4100, lab.HomeAddress, 4000), mapping);

            // A listener in home answers a connection from the internet made to the router's external address.
            await using var listener = lab.Start(lab.Home, "python3", "-c", ListenOnce);
            Assert.True(await listener.WaitForLineAsync("listening", TimeSpan.FromSeconds(30)), listener.Log);
            var reply = await lab.RunAsync(lab.Internet, "python3", "-c", ConnectOnce, lab.RouterWanAddress.ToString(), "4100");
            Assert.True(reply.Succeeded, reply.ToString());
            Assert.Equal("hello from home", reply.Output.Trim());
            Assert.True(await listener.WaitForLineAsync("peer " + lab.InternetAddress, TimeSpan.FromSeconds(30)), listener.Log);

            await lab.RestartRouterAsync();
            Assert.Empty(await lab.ReadMappingsAsync());
            var again = await lab.RunAsync(lab.Home, "natpmpc", "-g", lab.RouterLanAddress.ToString(), "-a", "4100", "4000", "udp", "60");
            Assert.True(again.Succeeded, again.ToString() + lab.RouterLog);
            Assert.Equal([new NatLabMapping("udp", 4100, lab.HomeAddress, 4000)], await lab.ReadMappingsAsync());
        }

        var left = await LabCommand.RunAsync(["ip", "netns", "list"]);
        Assert.All(names, name => Assert.DoesNotContain(name, left.Output, StringComparison.Ordinal));
    }

    [Fact]
    public void The_table_parser_reads_the_rules_miniupnpd_writes()
    {
        const string Table = """
            table inet nat {
            	chain prerouting_miniupnpd {
            		iif "wan0" @nh,72,8 0x6 th dport 4000 dnat ip to 10.77.1.2:4001
            		iif "wan0" @nh,72,8 0x11 th dport 4002 dnat ip to 10.77.1.2:4003
            	}
            }
            """;

        Assert.Equal(
            [new NatLabMapping("tcp", 4000, IPAddress.Parse("10.77.1.2"), 4001), new NatLabMapping("udp", 4002, IPAddress.Parse("10.77.1.2"), 4003)],
            NatLab.ParseMappings(Table));
    }

    private const string ListenOnce = """
        import socket
        s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("0.0.0.0", 4000)); s.listen(1)
        print("listening", flush=True)
        c, a = s.accept(); print("peer", a[0], flush=True); c.sendall(b"hello from home\n"); c.close()
        """;

    private const string ConnectOnce = """
        import socket, sys
        c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=20)
        print(c.makefile().readline().strip())
        """;
}
