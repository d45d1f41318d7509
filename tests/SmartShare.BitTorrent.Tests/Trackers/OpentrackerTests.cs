using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using SmartShare.BitTorrent.Trackers;
using static SmartShare.BitTorrent.Tests.Trackers.TrackerTestSupport;

namespace SmartShare.BitTorrent.Tests.Trackers;

/// <summary>
/// Our clients against the real opentracker (Debian's build, whitelist mode) on 127.0.0.1. The binary is
/// installed by the project's test setup, so its absence fails these tests rather than skipping them.
/// </summary>
public sealed class OpentrackerTests : IAsyncLifetime
{
    private const string Binary = "/usr/bin/opentracker";

    private static readonly InfoHash Listed = Hash(0x5A);
    private static readonly InfoHash Unlisted = Hash(0x11);

    private readonly string _chroot = Directory.CreateTempSubdirectory("smartshare-opentracker-").FullName;
    private static readonly HttpClient Http = new();
    private readonly TrackerOptions _options = new()
    {
        RequestTimeout = TimeSpan.FromSeconds(10),
        UdpInitialTimeout = TimeSpan.FromSeconds(1),
    };

    private Process? _process;
    private int _port;

    public async Task InitializeAsync()
    {
        Assert.True(File.Exists(Binary), $"{Binary} is missing; the test setup installs the opentracker package.");
        await File.WriteAllTextAsync(Path.Combine(_chroot, "whitelist"), Listed + "\n");

        // opentracker may drop its privileges after the chroot: the folder must stay readable by others.
        File.SetUnixFileMode(
            _chroot,
            UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        _port = FreeTcpAndUdpPort();
        var start = new ProcessStartInfo(Binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "-i", "127.0.0.1", "-p", $"{_port}", "-P", $"{_port}", "-w", "/whitelist", "-d", _chroot })
        {
            start.ArgumentList.Add(argument);
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException("opentracker did not start.");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        await WaitUntilAsync(() => !_process.HasExited && Accepts(_port), $"opentracker listens on 127.0.0.1:{_port}");

        // opentracker reads its whitelist on a thread of its own: wait until the hash is allowed, with a probe
        // peer that leaves again at once.
        var probe = new HttpTrackerClient(new Uri($"http://127.0.0.1:{_port}/announce"), Http, _options);
        var watch = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await probe.AnnounceAsync(new AnnounceRequest(Listed, PeerId('z'), 16999, 0, 0, 0, TrackerEvent.Started), CancellationToken.None);
                await probe.AnnounceAsync(new AnnounceRequest(Listed, PeerId('z'), 16999, 0, 0, 0, TrackerEvent.Stopped), CancellationToken.None);
                break;
            }
            catch (TrackerException e) when (e.Kind is TrackerErrorKind.Failure or TrackerErrorKind.Unreachable && watch.Elapsed < WaitLimit)
            {
                await Task.Delay(20);
            }
        }
    }

    public Task DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            _process.WaitForExit(5000);
        }

        _process?.Dispose();
        Directory.Delete(_chroot, recursive: true);
        return Task.CompletedTask;
    }

    [Theory]
    [InlineData("http")]
    [InlineData("udp")]
    public async Task Two_peers_see_each_other(string scheme)
    {
        var client = TrackerClientFactory.Create(new Uri($"{scheme}://127.0.0.1:{_port}/announce"), Http, _options);
        try
        {
            var first = new IPEndPoint(IPAddress.Loopback, 16881);
            var second = new IPEndPoint(IPAddress.Loopback, 16882);

            await client.AnnounceAsync(new AnnounceRequest(Listed, PeerId('a'), first.Port, 0, 0, 1000, TrackerEvent.Started), CancellationToken.None);
            var secondSees = await client.AnnounceAsync(
                new AnnounceRequest(Listed, PeerId('b'), second.Port, 0, 0, 0, TrackerEvent.Started), CancellationToken.None);
            var firstSees = await client.AnnounceAsync(
                new AnnounceRequest(Listed, PeerId('a'), first.Port, 0, 0, 1000, TrackerEvent.None), CancellationToken.None);

            Assert.Contains(first, secondSees.Peers);
            Assert.Contains(second, firstSees.Peers);
            Assert.True(firstSees.Interval > TimeSpan.Zero);

            var counts = await client.ScrapeAsync(Listed, CancellationToken.None);
            Assert.NotNull(counts);
            Assert.Equal(1, counts.Seeders);
            Assert.Equal(1, counts.Leechers);
        }
        finally
        {
            (client as IDisposable)?.Dispose();
        }
    }

    [Fact]
    public async Task An_unlisted_hash_is_not_authorized_over_http()
    {
        var client = TrackerClientFactory.Create(new Uri($"http://127.0.0.1:{_port}/announce"), Http, _options);

        var e = await Assert.ThrowsAsync<TrackerException>(() => client.AnnounceAsync(
            new AnnounceRequest(Unlisted, PeerId('c'), 16883, 0, 0, 5, TrackerEvent.Started), CancellationToken.None));

        Assert.Equal(TrackerErrorKind.Failure, e.Kind);
        Assert.Contains("not authorized", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unlisted_hash_is_not_authorized_over_udp()
    {
        using var client = new UdpTrackerClient(new Uri($"udp://127.0.0.1:{_port}/announce"), _options);

        var e = await Assert.ThrowsAsync<TrackerException>(() => client.AnnounceAsync(
            new AnnounceRequest(Unlisted, PeerId('d'), 16884, 0, 0, 5, TrackerEvent.Started), CancellationToken.None));

        Assert.Equal(TrackerErrorKind.Failure, e.Kind);
        Assert.Contains("not authorized", e.Message, StringComparison.Ordinal);
    }

    private static bool Accepts(int port)
    {
        try
        {
            using var probe = new TcpClient();
            probe.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static int FreeTcpAndUdpPort()
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var tcp = new TcpListener(IPAddress.Loopback, 0);
            tcp.Start();
            var port = ((IPEndPoint)tcp.LocalEndpoint).Port;
            try
            {
                using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                udp.Bind(new IPEndPoint(IPAddress.Loopback, port));
                return port;
            }
            catch (SocketException)
            {
            }
            finally
            {
                tcp.Stop();
            }
        }

        throw new InvalidOperationException("No port was free for both TCP and UDP on 127.0.0.1.");
    }
}
