using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace SmartShare.Node.Tests.Reachability.Upnp;

/// <summary>
/// A home router made of network namespaces: "home" (10.77.1.2) behind "router" (LAN 10.77.1.1, WAN 11.77.0.1),
/// which runs Debian's miniupnpd (UPnP only, NAT-PMP off) and masquerades, and "internet" (11.77.0.2). The
/// namespaces are named ssup + a random suffix, linked only to each other by veth pairs, and removed (with every
/// process inside) on dispose. <see cref="TryCreate"/> gives null, with the reason, where namespaces cannot be made.
/// </summary>
public sealed partial class UpnpRouterLab : IDisposable
{
    public const string RouterLan = "10.77.1.1";
    public const string HomeAddress = "10.77.1.2";
    public const string RouterWan = "11.77.0.1";
    public const string InternetAddress = "11.77.0.2";

    private readonly string _prefix;
    private readonly string _folder;
    private readonly StringBuilder _routerLog = new();
    private Process? _router;

    private UpnpRouterLab(string prefix)
    {
        _prefix = prefix;
        _folder = Directory.CreateTempSubdirectory(prefix + "-").FullName;
    }

    public string Home => _prefix + "h";

    public string Router => _prefix + "r";

    public string Internet => _prefix + "i";

    private string WanInterface => _prefix + "rw";

    private string LanInterface => _prefix + "rl";

    /// <summary>What miniupnpd wrote so far (its debug log shows every SOAP action).</summary>
    public string RouterLog
    {
        get
        {
            lock (_routerLog)
            {
                return _routerLog.ToString();
            }
        }
    }

    /// <summary>The lab with miniupnpd running, or null (and <paramref name="skipReason"/>) where this machine cannot make namespaces or lacks miniupnpd.</summary>
    public static UpnpRouterLab? TryCreate(out string skipReason)
    {
        foreach (var tool in new[] { "/usr/sbin/miniupnpd", "/usr/sbin/nft" })
        {
            if (!File.Exists(tool))
            {
                skipReason = $"{tool} is not installed, so there is no home router to test UPnP against.";
                return null;
            }
        }

        var prefix = "ssup" + Convert.ToHexString(Guid.NewGuid().ToByteArray(), 0, 3).ToLowerInvariant();
        (int ExitCode, string Output, string Error) probe;
        try
        {
            probe = Run("ip", "netns", "add", prefix + "h");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            probe = (-1, string.Empty, ex.Message);
        }

        if (probe.ExitCode != 0)
        {
            skipReason = $"Network namespaces cannot be created here (ip netns add: {probe.Error.Trim()}); the UPnP router lab needs them (root and a kernel with netns).";
            return null;
        }

        var lab = new UpnpRouterLab(prefix);
        try
        {
            lab.Build();
            lab.StartRouter();
        }
        catch
        {
            lab.Dispose();
            throw;
        }

        skipReason = string.Empty;
        return lab;
    }

    /// <summary>The dnat rules miniupnpd holds now (the prerouting_miniupnpd chain), one per line.</summary>
    public IReadOnlyList<string> NatRules()
    {
        var listing = Must("ip", "netns", "exec", Router, "nft", "list", "chain", "inet", "nat", "prerouting_miniupnpd");
        return [.. listing.Split('\n').Select(line => line.Trim()).Where(line => line.Contains("dnat", StringComparison.Ordinal))];
    }

    /// <summary>Runs a command inside a namespace of the lab and returns its result.</summary>
    public static (int ExitCode, string Output, string Error) Exec(string netns, params string[] command) => Run("ip", ["netns", "exec", netns, .. command]);

    public void Dispose()
    {
        if (_router is { HasExited: false })
        {
            _router.Kill(entireProcessTree: true);
            _router.WaitForExit(10_000);
        }

        _router?.Dispose();
        foreach (var netns in new[] { Home, Router, Internet })
        {
            foreach (var pid in Run("ip", "netns", "pids", netns).Output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                _ = Run("kill", "-9", pid.Trim());
            }

            _ = Run("ip", "netns", "del", netns);
        }

        Directory.Delete(_folder, recursive: true);
    }

    private void Build()
    {
        // Home was made by TryCreate.
        Must("ip", "netns", "add", Router);
        Must("ip", "netns", "add", Internet);
        Must("ip", "link", "add", _prefix + "hl", "type", "veth", "peer", "name", LanInterface);
        Must("ip", "link", "set", _prefix + "hl", "netns", Home);
        Must("ip", "link", "set", LanInterface, "netns", Router);
        Must("ip", "link", "add", WanInterface, "type", "veth", "peer", "name", _prefix + "iw");
        Must("ip", "link", "set", WanInterface, "netns", Router);
        Must("ip", "link", "set", _prefix + "iw", "netns", Internet);
        Up(Home, _prefix + "hl", HomeAddress + "/24");
        Up(Router, LanInterface, RouterLan + "/24");
        Up(Router, WanInterface, RouterWan + "/24");
        Up(Internet, _prefix + "iw", InternetAddress + "/24");
        Must("ip", "-n", Home, "route", "add", "default", "via", RouterLan);
        Must("ip", "netns", "exec", Router, "sysctl", "-qw", "net.ipv4.ip_forward=1");

        // miniupnpd only adds rules to chains that exist; Debian's nft_init.sh is written for iptables, so make them here.
        var rules = Path.Combine(_folder, "router.nft");
        File.WriteAllText(rules, $$"""
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

            """);
        Must("ip", "netns", "exec", Router, "nft", "-f", rules);
    }

    private void StartRouter()
    {
        var config = Path.Combine(_folder, "miniupnpd.conf");
        File.WriteAllText(config, $"""
            ext_ifname={WanInterface}
            listening_ip={LanInterface}
            port=0
            enable_natpmp=no
            enable_upnp=yes
            secure_mode=no
            system_uptime=no
            lease_file={Path.Combine(_folder, "leases")}
            uuid={Guid.NewGuid()}
            upnp_table_name=filter
            upnp_nat_table_name=nat
            upnp_forward_chain=miniupnpd
            upnp_nat_chain=prerouting_miniupnpd
            upnp_nat_postrouting_chain=postrouting_miniupnpd
            allow 1024-65535 10.77.1.0/24 1024-65535
            deny 0-65535 0.0.0.0/0 0-65535

            """);
        var start = new ProcessStartInfo("ip", ["netns", "exec", Router, "miniupnpd", "-f", config, "-d"])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        _router = Process.Start(start) ?? throw new InvalidOperationException("Could not start miniupnpd.");
        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void Collect(object sender, DataReceivedEventArgs line)
        {
            if (line.Data is null)
            {
                return;
            }

            lock (_routerLog)
            {
                _routerLog.AppendLine(line.Data);
            }

            if (HttpListening().IsMatch(line.Data))
            {
                listening.TrySetResult();
            }
        }

        _router.ErrorDataReceived += Collect;
        _router.OutputDataReceived += Collect;
        _router.BeginErrorReadLine();
        _router.BeginOutputReadLine();
        if (!listening.Task.Wait(TimeSpan.FromSeconds(30)))
        {
            throw new InvalidOperationException($"miniupnpd did not start listening within 30 s:\n{RouterLog}");
        }
    }

    private static void Up(string netns, string device, string address)
    {
        Must("ip", "-n", netns, "addr", "add", address, "dev", device);
        Must("ip", "-n", netns, "link", "set", device, "up");
        Must("ip", "-n", netns, "link", "set", "lo", "up");
    }

    private static string Must(string file, params string[] arguments)
    {
        var (exitCode, output, error) = Run(file, arguments);
        return exitCode == 0
            ? output
            : throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} failed ({exitCode.ToString(CultureInfo.InvariantCulture)}): {error}");
    }

    private static (int ExitCode, string Output, string Error) Run(string file, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        }) ?? throw new InvalidOperationException($"Could not start {file}.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(30_000))
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} did not finish within 30 s.");
        }

        return (process.ExitCode, output.Result, error.Result);
    }

    [GeneratedRegex(@"HTTP listening on port \d+")]
    private static partial Regex HttpListening();
}
