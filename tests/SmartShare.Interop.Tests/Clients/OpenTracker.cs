using System.Globalization;
using System.Net;
using System.Text;
using SmartShare.BitTorrent;

namespace SmartShare.Interop.Tests.Clients;

/// <summary>
/// Debian's opentracker on 127.0.0.1 (TCP and UDP on one port) in whitelist mode, in a temp chroot. Only
/// info hashes passed to <see cref="AllowAsync(InfoHash)"/> are served. Disposing kills it.
/// </summary>
public sealed class OpenTracker : IAsyncDisposable
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };
    private readonly ToolProcess _process;
    private readonly InteropDirectory _chroot;

    private OpenTracker(ToolProcess process, InteropDirectory chroot, int port)
    {
        _process = process;
        _chroot = chroot;
        Port = port;
    }

    public int Port { get; }

    /// <summary>http://127.0.0.1:PORT/announce (libtorrent wants exactly the /announce path on loopback, facts point 7).</summary>
    public string AnnounceUrl => $"http://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}/announce";

    public string Describe() => _process.Describe();

    /// <summary>Starts the tracker and waits until it answers HTTP.</summary>
    public static async Task<OpenTracker> StartAsync()
    {
        var program = InteropTools.OpenTracker;
        var chroot = new InteropDirectory();
        await File.WriteAllTextAsync(Path.Combine(chroot.Root, "whitelist"), "");
        var port = LoopbackAddresses.FreePort(IPAddress.Loopback);
        var portText = port.ToString(CultureInfo.InvariantCulture);

        // -i before the ports; the whitelist path is resolved inside the chroot.
        var process = ToolProcess.Start("opentracker", program, ["-i", "127.0.0.1", "-p", portText, "-P", portText, "-w", "/whitelist", "-d", chroot.Root]);
        var tracker = new OpenTracker(process, chroot, port);
        try
        {
            await Waiting.UntilAsync(
                async () =>
                {
                    Assert.False(process.HasExited, $"opentracker exited.\n{process.Describe()}");
                    return await tracker.TryGetAsync($"/scrape?info_hash={Escape(new byte[20])}") is not null;
                },
                "opentracker answers HTTP",
                TimeSpan.FromSeconds(15),
                () => process.Describe());
        }
        catch
        {
            await tracker.DisposeAsync();
            throw;
        }

        return tracker;
    }

    /// <summary>Adds an info hash to the whitelist, reloads it (SIGHUP) and waits until announces for it are accepted.</summary>
    public async Task AllowAsync(InfoHash infoHash)
    {
        await File.AppendAllTextAsync(Path.Combine(_chroot.Root, "whitelist"), infoHash + "\n");
        await _process.SignalAsync("HUP");

        // A probe announce with numwant=0 from a made-up peer id, withdrawn at once with event=stopped
        // (stopped announces are not checked against the whitelist, so they cannot serve as the probe).
        var hash = Escape(infoHash.ToArray());
        var peerId = Escape(Encoding.ASCII.GetBytes("-PROBE-" + Guid.NewGuid().ToString("N")[..13]));
        var query = $"/announce?info_hash={hash}&peer_id={peerId}&port=9&uploaded=0&downloaded=0&left=1&numwant=0&compact=1";
        string? answer = null;
        await Waiting.UntilAsync(
            async () =>
            {
                answer = await TryGetAsync(query);
                return answer is not null && !answer.Contains("not authorized", StringComparison.Ordinal);
            },
            $"opentracker accepts announces for {infoHash} after reloading its whitelist",
            TimeSpan.FromSeconds(15),
            () => $"last answer: {answer}\n{_process.Describe()}");
        await TryGetAsync(query + "&event=stopped");
    }

    /// <summary>Waits until a scrape reports at least <paramref name="seeders"/> complete peers for the hash.</summary>
    public async Task WaitForSeedersAsync(InfoHash infoHash, int seeders, TimeSpan timeLimit)
    {
        string? answer = null;
        var hash = Escape(infoHash.ToArray());
        await Waiting.UntilAsync(
            async () =>
            {
                answer = await TryGetAsync($"/scrape?info_hash={hash}");
                var at = answer?.IndexOf("8:completei", StringComparison.Ordinal) ?? -1;
                if (at < 0)
                {
                    return false;
                }

                var digits = answer![(at + "8:completei".Length)..].Split('e')[0];
                return int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var complete) && complete >= seeders;
            },
            $"opentracker knows {seeders} seeder(s) of {infoHash}",
            timeLimit,
            () => $"last scrape: {answer}\n{_process.Describe()}");
    }

    public async ValueTask DisposeAsync()
    {
        await _process.DisposeAsync();
        _chroot.Dispose();
    }

    private async Task<string?> TryGetAsync(string pathAndQuery)
    {
        try
        {
            var bytes = await Http.GetByteArrayAsync(new Uri($"http://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}{pathAndQuery}"));
            return Encoding.Latin1.GetString(bytes);
        }
        catch (HttpRequestException)
        {
            return null;
        }
        catch (TaskCanceledException)
        {
            return null;
        }
    }

    private static string Escape(byte[] bytes)
    {
        var text = new StringBuilder(bytes.Length * 3);
        foreach (var b in bytes)
        {
            text.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
        }

        return text.ToString();
    }
}
