using System.Globalization;
using System.Net;

namespace SmartShare.Interop.Tests.Clients;

/// <summary>
/// aria2c downloading a .torrent or magnet into a folder, bound to 127.0.0.1 with DHT, LPD, PEX and IPv6 off
/// (or the DHT on with a loopback entry point), exiting once complete (--seed-time=0). aria2 cannot be handed a
/// peer address: it finds peers through a tracker or the DHT (facts point 9). Disposing kills it.
/// </summary>
public sealed class Aria2 : IAsyncDisposable
{
    private readonly ToolProcess _process;

    private Aria2(ToolProcess process, int port)
    {
        _process = process;
        Port = port;
    }

    /// <summary>Its TCP listen port (and the UDP DHT port) on 127.0.0.1.</summary>
    public int Port { get; }

    public long PeakRssAnonKib => _process.PeakRssAnonKib;

    public string Describe() => _process.Describe();

    /// <param name="torrentOrMagnet">A .torrent path or a magnet URI.</param>
    /// <param name="downloadDirectory">Where the content goes.</param>
    /// <param name="dhtEntryPoint">Turns the DHT on with this loopback node as the entry point (DHT file in the download folder's parent).</param>
    public static Aria2 Start(string torrentOrMagnet, string downloadDirectory, IPEndPoint? dhtEntryPoint = null, IEnumerable<string>? extraArguments = null)
    {
        var program = InteropTools.Aria2c;
        var port = LoopbackAddresses.FreePort(IPAddress.Loopback).ToString(CultureInfo.InvariantCulture);
        List<string> arguments =
        [
            "--no-conf=true",
            "--enable-dht6=false",
            "--bt-enable-lpd=false",
            "--enable-peer-exchange=false",
            "--interface=127.0.0.1",
            "--disable-ipv6=true",
            "--seed-time=0",
            "--bt-tracker-connect-timeout=5",
            "--bt-tracker-timeout=10",
            "--summary-interval=1",
            "--console-log-level=notice",
            "--file-allocation=none",
            "--check-certificate=false",
            "--listen-port=" + port,
            "--dht-listen-port=" + port,
            "--dir=" + downloadDirectory,
        ];
        if (dhtEntryPoint is null)
        {
            arguments.Add("--enable-dht=false");
        }
        else
        {
            Assert.True(dhtEntryPoint.Address.GetAddressBytes()[0] == 127, "The DHT entry point must be on loopback.");
            arguments.AddRange([
                "--enable-dht=true",
                "--dht-entry-point=" + dhtEntryPoint,
                "--dht-file-path=" + Path.Combine(Path.GetDirectoryName(Path.GetFullPath(downloadDirectory))!, $"aria2-dht-{port}.dat"),
            ]);
        }

        arguments.AddRange(extraArguments ?? []);
        arguments.Add(torrentOrMagnet);
        Directory.CreateDirectory(downloadDirectory);
        return new Aria2(ToolProcess.Start("aria2c", program, arguments, sampleMemory: true), int.Parse(port, CultureInfo.InvariantCulture));
    }

    /// <summary>Waits for aria2c to exit and fails the test unless it exits with 0 within the limit.</summary>
    public async Task WaitForSuccessAsync(TimeSpan timeLimit)
    {
        var exitCode = await _process.WaitForExitAsync(timeLimit);
        Assert.True(exitCode == 0, $"aria2c exited with {exitCode}.\n{_process.Describe()}");
    }

    /// <summary>Downloads and waits for success in one call.</summary>
    public static async Task DownloadAsync(string torrentOrMagnet, string downloadDirectory, TimeSpan timeLimit, IPEndPoint? dhtEntryPoint = null)
    {
        await using var aria2 = Start(torrentOrMagnet, downloadDirectory, dhtEntryPoint);
        await aria2.WaitForSuccessAsync(timeLimit);
    }

    public ValueTask DisposeAsync() => _process.DisposeAsync();
}
