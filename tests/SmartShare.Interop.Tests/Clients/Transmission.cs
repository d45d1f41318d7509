using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;

namespace SmartShare.Interop.Tests.Clients;

/// <summary>
/// transmission-cli downloading a .torrent into a folder, bound to its own 127.0.0.x address, with a throw-away
/// config folder (DHT, LPD, PEX, port forwarding, RPC and the blocklist off). Transmission never dials 127.x
/// peers (facts point 1): a peer must dial <see cref="Endpoint"/>. It does not exit when done, so its --finish
/// script touches a marker file that <see cref="WaitForFinishedAsync"/> waits for, then it is killed.
/// Expect about 14 s to the first byte (facts point 3).
/// </summary>
public sealed class Transmission : IAsyncDisposable
{
    private readonly ToolProcess _process;
    private readonly InteropDirectory _config;
    private readonly string _marker;

    private Transmission(ToolProcess process, InteropDirectory config, string marker, IPEndPoint endpoint)
    {
        _process = process;
        _config = config;
        _marker = marker;
        Endpoint = endpoint;
    }

    /// <summary>Where Transmission accepts peers (-p PORT on its bind address).</summary>
    public IPEndPoint Endpoint { get; }

    public long PeakRssAnonKib => _process.PeakRssAnonKib;

    public string Describe() => _process.Describe();

    /// <summary>Starts transmission-cli and waits until it accepts connections.</summary>
    /// <param name="encryption">"-er" (required), "-ep" (preferred, Transmission's default) or "-et" (tolerated).</param>
    /// <param name="utp">Let Transmission speak uTP (libutp) as well as TCP; off by default (facts point 5).</param>
    public static async Task<Transmission> StartAsync(string torrentPath, string downloadDirectory, IPAddress? address = null, string encryption = "-ep", bool utp = false)
    {
        var program = InteropTools.TransmissionCli;
        var stdbuf = InteropTools.Stdbuf;
        address ??= LoopbackAddresses.Next();
        var port = LoopbackAddresses.FreePort(address);
        var config = new InteropDirectory();
        var settings = new JsonObject
        {
            ["dht-enabled"] = false,
            ["lpd-enabled"] = false,
            ["pex-enabled"] = false,
            ["utp-enabled"] = utp,
            ["port-forwarding-enabled"] = false,
            ["rpc-enabled"] = false,
            ["blocklist-enabled"] = false,
            ["bind-address-ipv4"] = address.ToString(),
            ["bind-address-ipv6"] = "::1",
            ["peer-port"] = port,
            ["peer-port-random-on-start"] = false,
            ["rename-partial-files"] = false,
            ["start-added-torrents"] = true,
            ["download-dir"] = downloadDirectory,
            ["incomplete-dir-enabled"] = false,
            ["message-level"] = 2,
        };
        await File.WriteAllTextAsync(Path.Combine(config.Root, "settings.json"), settings.ToJsonString());
        var marker = Path.Combine(config.Root, "finished.marker");
        var script = Path.Combine(config.Root, "finished.sh");
        await File.WriteAllTextAsync(script, $"#!/bin/sh\ntouch '{marker}'\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Directory.CreateDirectory(downloadDirectory);

        var process = ToolProcess.Start(
            "transmission-cli " + address,
            stdbuf,
            ["-o0", "-e0", program, "-g", config.Root, "-w", downloadDirectory, "-p", port.ToString(CultureInfo.InvariantCulture), "-M", "-B", encryption, "-f", script, torrentPath],
            sampleMemory: true,
            environment: new Dictionary<string, string> { ["HOME"] = config.Root });
        var transmission = new Transmission(process, config, marker, new IPEndPoint(address, port));
        try
        {
            await LoopbackAddresses.WaitUntilAcceptingAsync(transmission.Endpoint, "transmission-cli", TimeSpan.FromSeconds(20), () => process.Describe());
        }
        catch
        {
            await transmission.DisposeAsync();
            throw;
        }

        return transmission;
    }

    /// <summary>Waits for the --finish marker, then stops transmission-cli (SIGTERM, so it flushes and closes its files).</summary>
    public async Task WaitForFinishedAsync(TimeSpan timeLimit)
    {
        await Waiting.UntilAsync(
            () =>
            {
                Assert.False(_process.HasExited && !File.Exists(_marker), $"transmission-cli exited before finishing.\n{_process.Describe()}");
                return File.Exists(_marker);
            },
            "transmission-cli finishes the torrent",
            timeLimit,
            () => _process.Describe());
        await _process.StopAsync(TimeSpan.FromSeconds(10));
    }

    public async ValueTask DisposeAsync()
    {
        await _process.DisposeAsync();
        _config.Dispose();
    }
}
