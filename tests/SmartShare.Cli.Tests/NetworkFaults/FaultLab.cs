using System.Diagnostics;
using System.Globalization;
using SmartShare.Tests.Shared;

namespace SmartShare.Cli.Tests.NetworkFaults;

/// <summary>
/// Hosts in network namespaces (nf, or a prefix given, + random suffix + h0, h1, ...) on one subnet, 10.78.N.0/24, split into two sides:
/// each side's hosts hang off a bridge in a router namespace (…r), and the two bridges are joined by a wire that
/// link_emulator.py drives (the kernel here has no netem): it passes frames, drops them all (a partition in which TCP
/// hangs), or delays, reorders and drops some, and can squeeze them through a bottleneck of a set rate and queue. Every frame between the sides crosses it; hosts on one side always reach each
/// other. Whatever runs inside is killed and every namespace deleted on dispose.
/// </summary>
public sealed class FaultLab : IAsyncDisposable
{
    private readonly string _prefix;
    private readonly int _subnet;
    private readonly List<string> _namespaces = [];
    private readonly List<int> _sides = [];
    private Process? _wire;
    private readonly Lock _lock = new();
    private readonly List<string> _wireLines = [];

    private FaultLab(string prefix, int subnet)
    {
        _prefix = prefix;
        _subnet = subnet;
    }

    public int HostCount => _sides.Count;

    public string Router => _prefix + "r";

    public string Host(int host) => $"{_prefix}h{host.ToString(CultureInfo.InvariantCulture)}";

    public string Address(int host) => $"10.78.{_subnet.ToString(CultureInfo.InvariantCulture)}.{(host + 1).ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The command prefix that runs a program inside host <paramref name="host"/>.</summary>
    public IReadOnlyList<string> Launcher(int host) => ["ip", "netns", "exec", Host(host)];

    /// <summary>Side 0 or 1 of host <paramref name="host"/>.</summary>
    public int SideOf(int host) => _sides[host];

    /// <summary>
    /// Makes the lab with <paramref name="sideA"/> hosts on side 0 (h0…) and <paramref name="sideB"/> on side 1 (the
    /// next ones), or returns null with the reason when namespaces cannot be made here (not root, no support, no python).
    /// </summary>
    /// <param name="namePrefix">The start of every namespace name (a random suffix follows), so labs never collide.</param>
    public static async Task<(FaultLab? Lab, string? Reason)> TryCreateAsync(int sideA, int sideB, string namePrefix = "nf")
    {
        var prefix = namePrefix + Guid.NewGuid().ToString("N")[..8];
        var lab = new FaultLab(prefix, Random.Shared.Next(1, 250));
        var (code, error) = await RunAsync("ip", "netns", "add", lab.Router);
        if (code != 0)
        {
            return (null, $"cannot create a network namespace (ip netns add: {error.Trim()})");
        }

        lab._namespaces.Add(lab.Router);
        try
        {
            var r = lab.Router;
            await MustAsync("ip", "-n", r, "link", "set", "lo", "up");
            foreach (var side in new[] { "a", "b" })
            {
                await MustAsync("ip", "-n", r, "link", "add", "name", "br" + side, "type", "bridge");
                await MustAsync("ip", "-n", r, "link", "add", "name", "t" + side, "type", "veth", "peer", "name", "x" + side);
                await MustAsync("ip", "-n", r, "link", "set", "t" + side, "master", "br" + side);
                foreach (var link in new[] { "br" + side, "t" + side, "x" + side })
                {
                    await MustAsync("ip", "-n", r, "link", "set", link, "up");
                }

                await MustAsync("ip", "-n", r, "link", "set", "x" + side, "promisc", "on");
            }

            for (var host = 0; host < sideA + sideB; host++)
            {
                await lab.AddHostAsync(host, host < sideA ? 0 : 1);
            }

            lab.StartWire();
            await lab.WaitForWireAsync("ready");
            return (lab, null);
        }
        catch
        {
            await lab.DisposeAsync();
            throw;
        }
    }

    /// <summary>Every frame between the sides is dropped, both ways: connections hang (no reset, no ICMP) until healed.</summary>
    public Task CutAsync() => CommandAsync("cut");

    /// <summary>Frames pass again at once.</summary>
    public Task HealAsync() => CommandAsync("pass");

    /// <summary>
    /// Each direction between the sides holds every frame <paramref name="delayMilliseconds"/> and drops
    /// <paramref name="lossPercent"/> percent of them (100 ms and 5 % each way: a 200 ms round trip losing about 10 %).
    /// </summary>
    public Task ImpairAsync(int delayMilliseconds, double lossPercent) =>
        CommandAsync($"impair {delayMilliseconds.ToString(CultureInfo.InvariantCulture)} {lossPercent.ToString(CultureInfo.InvariantCulture)}");

    /// <summary>
    /// As <see cref="ImpairAsync(int, double)"/>, and each frame waits a further random 0…<paramref name="jitterMilliseconds"/>
    /// ms, so frames sent closer together than that arrive out of order.
    /// </summary>
    public Task ImpairAsync(int delayMilliseconds, double lossPercent, int jitterMilliseconds) =>
        CommandAsync($"impair {delayMilliseconds.ToString(CultureInfo.InvariantCulture)} {lossPercent.ToString(CultureInfo.InvariantCulture)} {jitterMilliseconds.ToString(CultureInfo.InvariantCulture)}");

    /// <summary>
    /// A bottleneck between the sides: frames leave at most <paramref name="kilobitsPerSecond"/> through a drop-tail queue
    /// of <paramref name="queueKib"/> KiB, before any delay of <see cref="ImpairAsync(int, double)"/>. Null
    /// <paramref name="fromSide"/> shapes both directions, 0 or 1 only the frames leaving that side. A rate of 0 removes it;
    /// <see cref="HealAsync"/> and <see cref="CutAsync"/> remove it too.
    /// </summary>
    public Task BottleneckAsync(int kilobitsPerSecond, int queueKib, int? fromSide = null) =>
        CommandAsync($"rate {kilobitsPerSecond.ToString(CultureInfo.InvariantCulture)} {queueKib.ToString(CultureInfo.InvariantCulture)} " +
            (fromSide switch { null => "both", 0 => "ab", 1 => "ba", _ => throw new ArgumentOutOfRangeException(nameof(fromSide)) }));

    /// <summary>What the wire counted so far ("stats forwarded=N dropped=N queued=N overflowed=N").</summary>
    public async Task<string> WireStatsAsync()
    {
        await SendAsync("stats");
        return await WaitForWireAsync("stats ");
    }

    /// <summary>Runs a command inside host <paramref name="host"/> and returns its exit code and output.</summary>
    public Task<(int Code, string Output)> RunInAsync(int host, params string[] command) => RunAsync([.. Launcher(host), .. command]);

    public async ValueTask DisposeAsync()
    {
        if (_wire is { HasExited: false })
        {
            _wire.Kill(entireProcessTree: true);
            await _wire.WaitForExitAsync();
        }

        _wire?.Dispose();
        foreach (var name in _namespaces)
        {
            var (_, pids) = await RunAsync("ip", "netns", "pids", name);
            foreach (var pid in pids.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                await RunAsync("kill", "-9", pid);
            }

            await RunAsync("ip", "netns", "del", name);
        }
    }

    private static string Script => Path.Combine(AppContext.BaseDirectory, "NetworkFaults", "link_emulator.py");

    private async Task AddHostAsync(int host, int side)
    {
        var name = Host(host);
        await MustAsync("ip", "netns", "add", name);
        _namespaces.Add(name);
        _sides.Add(side);
        var port = "p" + host.ToString(CultureInfo.InvariantCulture);
        await MustAsync("ip", "-n", Router, "link", "add", "name", port, "type", "veth", "peer", "name", "eth0", "netns", name);
        await MustAsync("ip", "-n", Router, "link", "set", port, "master", side == 0 ? "bra" : "brb");
        await MustAsync("ip", "-n", Router, "link", "set", port, "up");
        await MustAsync("ip", "-n", name, "link", "set", "lo", "up");
        await MustAsync("ip", "-n", name, "addr", "add", $"{Address(host)}/24", "dev", "eth0");
        await MustAsync("ip", "-n", name, "link", "set", "eth0", "up");

        // Whole frames with their checksums filled in: the wire copies frames through raw sockets.
        await MustAsync([.. Launcher(host), "python3", Script, "--no-offload", "eth0"]);
    }

    private void StartWire()
    {
        var start = new ProcessStartInfo("ip") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var part in new[] { "netns", "exec", Router, "python3", Script, "xa", "xb" })
        {
            start.ArgumentList.Add(part);
        }

        _wire = Process.Start(start) ?? throw new InvalidOperationException("Could not start link_emulator.py.");
        _wire.OutputDataReceived += (_, line) => Note(line.Data);
        _wire.ErrorDataReceived += (_, line) => Note(line.Data is null ? null : "stderr: " + line.Data);
        _wire.BeginOutputReadLine();
        _wire.BeginErrorReadLine();
    }

    private void Note(string? line)
    {
        if (line is not null)
        {
            lock (_lock)
            {
                _wireLines.Add(line);
            }
        }
    }

    private async Task CommandAsync(string command)
    {
        await SendAsync(command);
        await WaitForWireAsync("ok " + command);
    }

    private async Task SendAsync(string command)
    {
        lock (_lock)
        {
            _wireLines.Clear();
        }

        await _wire!.StandardInput.WriteLineAsync(command);
        await _wire.StandardInput.FlushAsync();
    }

    private async Task<string> WaitForWireAsync(string prefix)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            lock (_lock)
            {
                if (_wireLines.FirstOrDefault(line => line.StartsWith(prefix, StringComparison.Ordinal)) is { } found)
                {
                    return found;
                }

                if (DateTime.UtcNow > deadline || _wire!.HasExited)
                {
                    throw new InvalidOperationException($"link_emulator.py did not answer '{prefix}': {string.Join(" | ", _wireLines)}");
                }
            }

            await Task.Delay(20);
        }
    }

    private static async Task MustAsync(params string[] command)
    {
        var (code, output) = await RunAsync(command);
        if (code != 0)
        {
            throw new InvalidOperationException($"'{string.Join(' ', command)}' failed ({code}): {output.Trim()}");
        }
    }

    private static async Task<(int Code, string Output)> RunAsync(params string[] command)
    {
        var result = await LabCommand.RunAsync(command);
        return (result.ExitCode, result.Output + result.Error);
    }
}
