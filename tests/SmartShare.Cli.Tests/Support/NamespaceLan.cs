using System.Diagnostics;
using System.Globalization;
using SmartShare.Tests.Shared;

namespace SmartShare.Cli.Tests.Support;

/// <summary>
/// Two network namespaces (named sslsd + a random suffix) joined by one veth pair, 10.77.N.1/24 and 10.77.N.2/24,
/// each with loopback up and a multicast route on its veth: a LAN that exists only inside them, so multicast never
/// reaches the host's interfaces. Whatever runs inside is killed and both namespaces deleted on dispose.
/// </summary>
public sealed class NamespaceLan : IAsyncDisposable
{
    private readonly string[] _names;
    private readonly int _subnet;

    private NamespaceLan(string[] names, int subnet)
    {
        _names = names;
        _subnet = subnet;
    }

    /// <summary>The address of side <paramref name="side"/> (0 or 1) on the veth link.</summary>
    public string Address(int side) => $"10.77.{_subnet.ToString(CultureInfo.InvariantCulture)}.{(side + 1).ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The command prefix that runs a program inside side <paramref name="side"/>.</summary>
    public IReadOnlyList<string> Launcher(int side) => ["ip", "netns", "exec", _names[side]];

    public string Name(int side) => _names[side];

    /// <summary>
    /// Drops every BEP 14 datagram (UDP to port 6771, IPv4 and IPv6) sent from side <paramref name="side"/>, with an
    /// nftables table inside its namespace: what runs there still hears announces but is never heard.
    /// </summary>
    public async Task SilenceLocalDiscoveryAsync(int side)
    {
        await MustAsync("ip", "netns", "exec", _names[side], "nft", "add", "table", "inet", "sslsd");
        await MustAsync("ip", "netns", "exec", _names[side], "nft", "add", "chain", "inet", "sslsd", "out", "{ type filter hook output priority 0; }");
        await MustAsync("ip", "netns", "exec", _names[side], "nft", "add", "rule", "inet", "sslsd", "out", "udp", "dport", "6771", "drop");
    }

    /// <summary>Creates the LAN, or returns null with the reason when namespaces cannot be made here (not root, no support).</summary>
    public static async Task<(NamespaceLan? Lan, string? Reason)> TryCreateAsync()
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var names = new[] { $"sslsd{suffix}a", $"sslsd{suffix}b" };
        var subnet = Random.Shared.Next(1, 250);
        var (code, error) = await RunAsync("ip", "netns", "add", names[0]);
        if (code != 0)
        {
            return (null, $"cannot create a network namespace (ip netns add: {error.Trim()})");
        }

        var lan = new NamespaceLan(names, subnet);
        try
        {
            await MustAsync("ip", "netns", "add", names[1]);
            await MustAsync("ip", "-n", names[0], "link", "add", "veth0", "type", "veth", "peer", "name", "veth1", "netns", names[1]);
            for (var side = 0; side < 2; side++)
            {
                var name = names[side];
                var link = $"veth{side.ToString(CultureInfo.InvariantCulture)}";
                await MustAsync("ip", "-n", name, "link", "set", "lo", "up");
                await MustAsync("ip", "-n", name, "addr", "add", $"{lan.Address(side)}/24", "dev", link);
                await MustAsync("ip", "-n", name, "link", "set", link, "up");
                await MustAsync("ip", "-n", name, "route", "add", "224.0.0.0/4", "dev", link);
            }

            return (lan, null);
        }
        catch
        {
            await lan.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var name in _names)
        {
            var (_, pids) = await RunOutputAsync("ip", "netns", "pids", name);
            foreach (var pid in pids.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                await RunAsync("kill", "-9", pid);
            }

            await RunAsync("ip", "netns", "del", name);
        }
    }

    private static async Task MustAsync(params string[] command)
    {
        var (code, error) = await RunAsync(command);
        if (code != 0)
        {
            throw new InvalidOperationException($"'{string.Join(' ', command)}' failed ({code}): {error.Trim()}");
        }
    }

    private static async Task<(int Code, string Error)> RunAsync(params string[] command)
    {
        var (code, output) = await RunOutputAsync(command);
        return (code, output);
    }

    private static async Task<(int Code, string Output)> RunOutputAsync(params string[] command)
    {
        var result = await LabCommand.RunAsync(command);
        return (result.ExitCode, result.Output + result.Error);
    }
}
