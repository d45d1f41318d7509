using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace SmartShare.Tests.Shared;

/// <summary>Which of miniupnpd's protocols the lab's router speaks.</summary>
internal sealed record NatLabOptions
{
    /// <summary>NAT-PMP and PCP (one switch in miniupnpd), UDP 5351 on the router's LAN address.</summary>
    public bool NatPmp { get; init; } = true;

    /// <summary>UPnP IGD: SSDP on 239.255.255.250:1900 from the LAN side, HTTP on a random port.</summary>
    public bool Upnp { get; init; } = true;
}

/// <summary>A forward the router's nftables table holds (a <c>dnat</c> rule miniupnpd wrote in <c>prerouting_miniupnpd</c>).</summary>
internal sealed record NatLabMapping(string Protocol, int ExternalPort, IPAddress InternalAddress, int InternalPort);

/// <summary>
/// A home router made of real parts, in network namespaces of the test's own (facts: shared/spec/nat-lab.md):
/// "home" (10.77.1.2, default route via the router), "router" (LAN 10.77.1.1 on lan0, WAN 11.77.1.1 on wan0,
/// forwarding, masquerade out of wan0, Debian's miniupnpd with NAT-PMP/PCP and UPnP IGD) and "internet"
/// (11.77.1.2). The veth pairs join only these namespaces, so nothing reaches the host's network; the addresses
/// exist only inside them (11.77/16 is not a reserved range, which miniupnpd insists on for its WAN side).
/// Disposing kills everything inside and deletes the namespaces, also after a failed test.
/// Compiled into each test project that needs it (linked source).
/// </summary>
internal sealed partial class NatLab : IAsyncDisposable
{
    public const string LanInterface = "lan0";
    public const string WanInterface = "wan0";

    private readonly List<string> _namespaces = [];
    private readonly List<LabProcess> _processes = [];
    private readonly NatLabOptions _options;
    private readonly Action<string> _note;
    private LabProcess? _miniupnpd;

    private NatLab(string prefix, NatLabOptions options, Action<string> note)
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        Home = $"{prefix}-{suffix}-home";
        Router = $"{prefix}-{suffix}-router";
        Internet = $"{prefix}-{suffix}-internet";
        _options = options;
        _note = note;
        Directory = Path.Combine(Path.GetTempPath(), $"{prefix}-{suffix}-natlab");
    }

    /// <summary>The namespace of the machine behind the router.</summary>
    public string Home { get; }

    public string Router { get; }

    /// <summary>The namespace of a host on the router's WAN side.</summary>
    public string Internet { get; }

    /// <summary>A folder for the lab's files (miniupnpd's config and lease file), deleted on dispose.</summary>
    public string Directory { get; }

    public IPAddress HomeAddress { get; } = IPAddress.Parse("10.77.1.2");

    public IPAddress RouterLanAddress { get; } = IPAddress.Parse("10.77.1.1");

    /// <summary>The router's external address: what NAT-PMP, PCP and UPnP report, and where mapped ports are reached.</summary>
    public IPAddress RouterWanAddress { get; } = IPAddress.Parse("11.77.1.1");

    public IPAddress InternetAddress { get; } = IPAddress.Parse("11.77.1.2");

    public IReadOnlyList<string> HomeLauncher => Launcher(Home);

    public IReadOnlyList<string> InternetLauncher => Launcher(Internet);

    /// <summary>miniupnpd's debug log since it last started (every NAT-PMP/PCP request and SOAP action).</summary>
    public string RouterLog => _miniupnpd?.Log ?? string.Empty;

    private string ConfigPath => Path.Combine(Directory, "miniupnpd.conf");

    private string LeasePath => Path.Combine(Directory, "miniupnpd.leases");

    /// <summary>
    /// Builds the lab and starts miniupnpd. Returns null, after saying why through <paramref name="note"/>, only
    /// where network namespaces cannot be made (not root, no support); any other failure throws.
    /// </summary>
    /// <param name="prefix">The caller's namespace prefix; a random suffix is added.</param>
    public static async Task<NatLab?> TryCreateAsync(string prefix, Action<string> note, NatLabOptions? options = null)
    {
        if (!OperatingSystem.IsLinux() || !Environment.IsPrivilegedProcess)
        {
            note("Not checked: the NAT lab needs root on Linux for network namespaces.");
            return null;
        }

        var lab = new NatLab(prefix, options ?? new NatLabOptions(), note);
        var probe = await LabCommand.RunAsync(["ip", "netns", "add", lab.Home]);
        if (!probe.Succeeded)
        {
            note($"Not checked: network namespaces cannot be made here ({probe.Error.Trim()}).");
            return null;
        }

        lab._namespaces.Add(lab.Home);
        try
        {
            await lab.BuildAsync();
            return lab;
        }
        catch
        {
            await lab.DisposeAsync();
            throw;
        }
    }

    /// <summary><c>ip netns exec NAME</c>: put before a command to run it in that namespace (SmartShareProcess's launcher).</summary>
    public static IReadOnlyList<string> Launcher(string name) => ["ip", "netns", "exec", name];

    /// <summary>Runs a short command in one of the lab's namespaces.</summary>
    public Task<LabCommandResult> RunAsync(string name, params string[] command) =>
        LabCommand.RunAsync([.. Launcher(Own(name)), .. command]);

    /// <summary>Starts a long-running command in one of the lab's namespaces; it is killed on dispose.</summary>
    public LabProcess Start(string name, params string[] command)
    {
        var process = LabProcess.Start([.. Launcher(Own(name)), .. command]);
        lock (_processes)
        {
            _processes.Add(process);
        }

        return process;
    }

    /// <summary>The router's <c>prerouting_miniupnpd</c> chain as nft prints it.</summary>
    public async Task<string> ReadMappingTableAsync()
    {
        var result = await LabCommand.CheckAsync([.. Launcher(Router), "nft", "list", "chain", "inet", "nat", "prerouting_miniupnpd"]);
        return result.Output;
    }

    /// <summary>The forwards the router holds now, parsed from its nft table.</summary>
    public async Task<IReadOnlyList<NatLabMapping>> ReadMappingsAsync() => ParseMappings(await ReadMappingTableAsync());

    /// <summary>Parses the dnat rules miniupnpd writes, such as <c>iif "wan0" @nh,72,8 0x6 th dport 4000 dnat ip to 10.77.1.2:4000</c>.</summary>
    public static IReadOnlyList<NatLabMapping> ParseMappings(string table)
    {
        var mappings = new List<NatLabMapping>();
        foreach (Match match in DnatRule().Matches(table))
        {
            var protocolNumber = int.Parse(match.Groups["proto"].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            var protocol = protocolNumber switch { 6 => "tcp", 17 => "udp", _ => "ip-" + protocolNumber.ToString(CultureInfo.InvariantCulture) };
            mappings.Add(new NatLabMapping(
                protocol,
                int.Parse(match.Groups["ext"].Value, CultureInfo.InvariantCulture),
                IPAddress.Parse(match.Groups["addr"].Value),
                int.Parse(match.Groups["int"].Value, CultureInfo.InvariantCulture)));
        }

        return mappings;
    }

    /// <summary>Polls the router's table until <paramref name="condition"/> holds; throws with the table and miniupnpd's log past the time limit.</summary>
    public async Task<IReadOnlyList<NatLabMapping>> WaitForMappingsAsync(Func<IReadOnlyList<NatLabMapping>, bool> condition, string what, TimeSpan timeLimit)
    {
        var deadline = DateTime.UtcNow + timeLimit;
        while (true)
        {
            var table = await ReadMappingTableAsync();
            var mappings = ParseMappings(table);
            if (condition(mappings))
            {
                return mappings;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out after {timeLimit.TotalSeconds} s waiting until {what}.\nRouter table:\n{table}\nminiupnpd log (tail):\n{Tail(RouterLog, 40)}");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>
    /// Makes the router drop PCP requests (version 2 in the first byte of a datagram to UDP 5351) while still
    /// answering NAT-PMP (version 0): a router that speaks only NAT-PMP and stays silent to PCP.
    /// </summary>
    public async Task DropPcpAsync()
    {
        await LabCommand.CheckAsync([.. Launcher(Router), "nft", "add", "chain", "inet", "filter", "input", "{ type filter hook input priority 0; policy accept; }"]);
        await LabCommand.CheckAsync([.. Launcher(Router), "nft", "add", "rule", "inet", "filter", "input", "udp", "dport", "5351", "@th,64,8", "2", "drop"]);
    }

    /// <summary>
    /// Stops miniupnpd at once and starts it again. With <paramref name="reboot"/> (the default) the router
    /// forgets every mapping first (its nft chains flushed, its lease file gone), as a power cycle does; its
    /// NAT-PMP/PCP epoch starts again from 0 either way.
    /// </summary>
    public async Task RestartRouterAsync(bool reboot = true)
    {
        await StopRouterAsync();
        if (reboot)
        {
            await FlushMappingsAsync();
            File.Delete(LeasePath);
        }

        await StartRouterAsync();
    }

    /// <summary>Kills miniupnpd (the forwards it wrote stay in the table, as they do when it crashes).</summary>
    public async Task StopRouterAsync()
    {
        if (_miniupnpd is { } running)
        {
            _miniupnpd = null;
            await running.DisposeAsync();
        }
    }

    /// <summary>Starts miniupnpd (again) and waits until it listens; its pid file is the lab's own, since a second miniupnpd refuses to start when the default one names a live process.</summary>
    public async Task StartRouterAsync()
    {
        if (_miniupnpd is not null)
        {
            throw new InvalidOperationException("miniupnpd is already running in the lab.");
        }

        var process = LabProcess.Start([.. Launcher(Router), "miniupnpd", "-f", ConfigPath, "-d", "-P", Path.Combine(Directory, "miniupnpd.pid")]);
        _miniupnpd = process;
        var ready = _options.NatPmp ? "Listening for NAT-PMP/PCP traffic" : "HTTP listening on port";
        if (!await process.WaitForLineAsync(ready, TimeSpan.FromSeconds(30)))
        {
            throw new InvalidOperationException($"miniupnpd did not start listening in the lab's router namespace:\n{process.Log}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        var problems = new StringBuilder();
        await StopRouterAsync();
        List<LabProcess> processes;
        lock (_processes)
        {
            processes = [.. _processes];
            _processes.Clear();
        }

        foreach (var process in processes)
        {
            try
            {
                await process.DisposeAsync();
            }
            catch (Exception error) when (error is InvalidOperationException or OperationCanceledException)
            {
                problems.AppendLine($"{string.Join(' ', process.Command)}: {error.Message}");
            }
        }

        foreach (var name in Enumerable.Reverse(_namespaces))
        {
            // Whatever still runs inside (a node the test started through the launcher) dies with the namespace.
            var pids = await LabCommand.RunAsync(["ip", "netns", "pids", name]);
            foreach (var pid in pids.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                await LabCommand.RunAsync(["kill", "-KILL", pid]);
            }

            var deleted = await LabCommand.RunAsync(["ip", "netns", "del", name]);
            if (!deleted.Succeeded)
            {
                problems.AppendLine(deleted.ToString());
            }
        }

        _namespaces.Clear();
        try
        {
            if (System.IO.Directory.Exists(Directory))
            {
                System.IO.Directory.Delete(Directory, recursive: true);
            }
        }
        catch (IOException error)
        {
            problems.AppendLine(error.Message);
        }

        if (problems.Length > 0)
        {
            _note("NAT lab clean-up: " + problems);
        }
    }

    private string Own(string name) =>
        _namespaces.Contains(name) ? name : throw new ArgumentException($"{name} is not one of this lab's namespaces.", nameof(name));

    private static string Tail(string text, int lines) => string.Join('\n', text.Split('\n').TakeLast(lines));

    [GeneratedRegex(@"@nh,72,8 0x(?<proto>[0-9a-f]+) th dport (?<ext>\d+) dnat ip to (?<addr>[0-9.]+):(?<int>\d+)")]
    private static partial Regex DnatRule();

    private async Task BuildAsync()
    {
        System.IO.Directory.CreateDirectory(Directory);
        foreach (var name in new[] { Router, Internet })
        {
            await LabCommand.CheckAsync(["ip", "netns", "add", name]);
            _namespaces.Add(name);
        }

        foreach (var name in _namespaces)
        {
            await LabCommand.CheckAsync(["ip", "-n", name, "link", "set", "lo", "up"]);
        }

        // Each veth end is made inside its namespace, so no interface name ever appears in the host's namespace.
        await LabCommand.CheckAsync(["ip", "-n", Home, "link", "add", "eth0", "type", "veth", "peer", "name", LanInterface, "netns", Router]);
        await LabCommand.CheckAsync(["ip", "-n", Router, "link", "add", WanInterface, "type", "veth", "peer", "name", "eth0", "netns", Internet]);
        await AddressAsync(Home, "eth0", HomeAddress);
        await AddressAsync(Router, LanInterface, RouterLanAddress);
        await AddressAsync(Router, WanInterface, RouterWanAddress);
        await AddressAsync(Internet, "eth0", InternetAddress);
        await LabCommand.CheckAsync(["ip", "-n", Home, "route", "add", "default", "via", RouterLanAddress.ToString()]);
        await LabCommand.CheckAsync([.. Launcher(Router), "sysctl", "-qw", "net.ipv4.ip_forward=1"]);
        await LabCommand.CheckAsync([.. Launcher(Router), "nft", "-f", "-"], NftRuleset());
        await File.WriteAllTextAsync(ConfigPath, MiniupnpdConfig());
        await StartRouterAsync();
    }

    private static async Task AddressAsync(string name, string device, IPAddress address)
    {
        await LabCommand.CheckAsync(["ip", "-n", name, "addr", "add", address + "/24", "dev", device]);
        await LabCommand.CheckAsync(["ip", "-n", name, "link", "set", device, "up"]);
    }

    private async Task FlushMappingsAsync()
    {
        await LabCommand.CheckAsync([.. Launcher(Router), "nft", "flush", "chain", "inet", "nat", "prerouting_miniupnpd"]);
        await LabCommand.CheckAsync([.. Launcher(Router), "nft", "flush", "chain", "inet", "nat", "postrouting_miniupnpd"]);
        await LabCommand.CheckAsync([.. Launcher(Router), "nft", "flush", "chain", "inet", "filter", "miniupnpd"]);
    }

    /// <summary>The chains miniupnpd expects to find (it does not make them), and masquerade out of the WAN side.</summary>
    private static string NftRuleset() => $$"""
        table inet filter {
          chain miniupnpd {
          }
          chain forward {
            type filter hook forward priority 0; policy accept;
            jump miniupnpd
          }
        }
        table inet nat {
          chain prerouting_miniupnpd {
          }
          chain postrouting_miniupnpd {
          }
          chain prerouting {
            type nat hook prerouting priority -100; policy accept;
            jump prerouting_miniupnpd
          }
          chain postrouting {
            type nat hook postrouting priority 100; policy accept;
            jump postrouting_miniupnpd
            oifname "{{WanInterface}}" masquerade
          }
        }

        """;

    private string MiniupnpdConfig() => string.Join('\n', [
        $"ext_ifname={WanInterface}",
        $"listening_ip={LanInterface}",
        "port=0",
        $"enable_natpmp={(_options.NatPmp ? "yes" : "no")}",
        $"enable_upnp={(_options.Upnp ? "yes" : "no")}",
        "secure_mode=no",
        "system_uptime=no",
        $"lease_file={LeasePath}",
        $"uuid={Guid.NewGuid()}",
        "upnp_table_name=filter",
        "upnp_nat_table_name=nat",
        "upnp_forward_chain=miniupnpd",
        "upnp_nat_chain=prerouting_miniupnpd",
        "upnp_nat_postrouting_chain=postrouting_miniupnpd",
        "allow 1024-65535 10.77.1.0/24 1024-65535",
        "deny 0-65535 0.0.0.0/0 0-65535",
        string.Empty,
    ]);
}
