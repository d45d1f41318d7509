using System.Security.Cryptography;
using System.Text.Json;

namespace SmartShare.Cli.Tests.Support;

/// <summary>
/// One test's own folder under the system temp directory: a data directory, a download folder, a home
/// and the files to share. Every run of smartshare from here gets this folder as HOME and XDG_DATA_HOME,
/// so nothing can touch the real user's data. Deleted with everything in it.
/// </summary>
public sealed class CliWorkspace : IDisposable
{
    /// <param name="keepStreamBlobs">
    /// Keep a shared or downloaded stream's encrypted blobs (the keep_stream_blobs setting; off by default, when the node
    /// serves such a stream from its plain file and deletes the blobs): for tests about the blob files themselves.
    /// </param>
    public CliWorkspace(bool keepStreamBlobs = false)
    {
        Root = Path.Combine(Path.GetTempPath(), "smartshare-cli-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
        Home = Path.Combine(Root, "home");
        Directory.CreateDirectory(Home);
        DataDirectory = Path.Combine(Root, "data");
        DownloadDirectory = Path.Combine(Root, "downloads");
        var environment = new Dictionary<string, string?>
        {
            ["HOME"] = Home,
            ["XDG_DATA_HOME"] = Path.Combine(Root, "xdg"),

            // A port nothing listens on: a node someone runs on the default API port must not take part in tests.
            ["SMARTSHARE_API"] = $"http://127.0.0.1:{UnusedPort()}",

            // Nodes started by tests take a free BitTorrent port instead of fighting over 6881.
            ["SMARTSHARE_BT_PORT"] = "0",

            // No multicast onto the host's own interfaces: local discovery runs only in tests that confine it to a namespace.
            ["SMARTSHARE_LOCAL_DISCOVERY"] = "false",

            // Nodes started by tests never talk to the host's router; the NAT lab's tests turn it back on.
            ["SMARTSHARE_PORT_MAPPING"] = "false",
        };
        if (keepStreamBlobs)
        {
            environment["SMARTSHARE_KEEP_STREAM_BLOBS"] = "true";
        }

        Environment = environment;
    }

    public string Root { get; }

    /// <summary>
    /// A loopback TCP port that was free a moment ago, below the kernel's ephemeral range: every command run with no
    /// node starts a one-off node whose API takes port 0 (an ephemeral port), and one in another test must not land on
    /// the port a workspace calls "no node here".
    /// </summary>
    public static int UnusedPort()
    {
        var ephemeralStart = EphemeralRangeStart();
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var port = Random.Shared.Next(10_000, ephemeralStart);
            try
            {
                using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (System.Net.Sockets.SocketException)
            {
                // Taken: try another.
            }
        }

        throw new InvalidOperationException($"No free loopback port found from 10000 to {ephemeralStart}.");
    }

    private static int EphemeralRangeStart()
    {
        try
        {
            var range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries);
            return int.Parse(range[0], System.Globalization.CultureInfo.InvariantCulture) is > 10_100 and var start ? start : 32_768;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return 32_768;
        }
    }

    public string Home { get; }

    public string DataDirectory { get; }

    public string BlobDirectory => Path.Combine(DataDirectory, "blobs");

    /// <summary>Not created up front: tests that need it to exist create it.</summary>
    public string DownloadDirectory { get; }

    public IReadOnlyDictionary<string, string?> Environment { get; }

    /// <summary>Runs smartshare with <c>--data-dir</c> pointing at this workspace's data directory.</summary>
    public Task<CliResult> RunAsync(params string[] arguments) =>
        RunWithoutDataDirAsync([.. arguments, "--data-dir", DataDirectory]);

    /// <summary>Runs smartshare on this workspace and sends it a signal as soon as <paramref name="ready"/> holds.</summary>
    public Task<CliResult> RunAndSignalAsync(Func<bool> ready, string what, string signal, params string[] arguments) =>
        SmartShareProcess.RunAsync(
            [.. arguments, "--data-dir", DataDirectory],
            Root,
            Environment,
            whileRunning: async processId =>
            {
                await SmartShareProcess.WaitUntilAsync(ready, what);
                await SmartShareProcess.SignalAsync(processId, signal);
            });

    /// <summary>Runs smartshare exactly as given, plus extra environment variables (null removes one).</summary>
    public Task<CliResult> RunWithoutDataDirAsync(IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string?>? extraEnvironment = null)
    {
        var environment = new Dictionary<string, string?>(Environment);
        foreach (var (name, value) in extraEnvironment ?? new Dictionary<string, string?>())
        {
            environment[name] = value;
        }

        return SmartShareProcess.RunAsync(arguments, Root, environment);
    }

    /// <summary>Writes <paramref name="length"/> random bytes to a new file in the workspace and returns its path.</summary>
    public string CreateRandomFile(string name, int length)
    {
        var path = Path.Combine(Root, name);
        var content = new byte[length];
        Random.Shared.NextBytes(content);
        File.WriteAllBytes(path, content);
        return path;
    }

    /// <summary>Shares a file with --json, asserts success and returns the whole result object.</summary>
    public async Task<JsonElement> ShareAsync(string path) =>
        (await RunAsync("share", path, "--json")).ShouldSucceedWithJson();

    /// <summary>Shares a file and returns its sd hash.</summary>
    public async Task<string> ShareForSdHashAsync(string path) =>
        (await ShareAsync(path)).GetProperty("sd_hash").GetString()!;

    /// <summary>Rebuilds a stream with --json into <paramref name="downloadDirectory"/> (default: the workspace's) and asserts success.</summary>
    public async Task<JsonElement> GetAsync(string sdHash, string? downloadDirectory = null) =>
        (await RunAsync("get", sdHash, "--download-dir", downloadDirectory ?? DownloadDirectory, "--json")).ShouldSucceedWithJson();

    public string BlobPath(string hash) => Path.Combine(BlobDirectory, hash);

    /// <summary>The names of every file in the blob folder, temporary ones included, sorted.</summary>
    public IReadOnlyList<string> BlobFolderFileNames() =>
        Directory.Exists(BlobDirectory)
            ? Directory.EnumerateFiles(BlobDirectory).Select(path => Path.GetFileName(path)).Order(StringComparer.Ordinal).ToList()
            : [];

    /// <summary>Everything in the download folder (hidden temporary files included); empty when it does not exist.</summary>
    public IReadOnlyList<string> DownloadFolderEntries() =>
        Directory.Exists(DownloadDirectory)
            ? Directory.EnumerateFileSystemEntries(DownloadDirectory).Select(path => Path.GetFileName(path)).Order(StringComparer.Ordinal).ToList()
            : [];

    /// <summary>The data blob hashes of a stream in order, read from its sd blob (lbry-sdk's descriptor JSON).</summary>
    public IReadOnlyList<string> DataBlobHashes(string sdHash)
    {
        using var descriptor = JsonDocument.Parse(File.ReadAllBytes(BlobPath(sdHash)));
        return descriptor.RootElement.GetProperty("blobs").EnumerateArray()
            .Where(blob => blob.TryGetProperty("blob_hash", out _))
            .Select(blob => blob.GetProperty("blob_hash").GetString()!)
            .ToList();
    }

    public static string Sha256Of(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    public static string Sha384Of(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA384.HashData(stream));
    }

    /// <summary>
    /// Flips bytes in the middle of a file without changing its size. With <paramref name="keepTimestamp"/>
    /// the modification time is put back, so only a full re-hash can notice.
    /// </summary>
    public static void DamageInPlace(string path, bool keepTimestamp)
    {
        var modified = File.GetLastWriteTimeUtc(path);
        var length = new FileInfo(path).Length;
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite))
        {
            var middle = Math.Max(0, (length / 2) - 8);
            var bytes = new byte[Math.Min(16, length)];
            stream.Position = middle;
            stream.ReadExactly(bytes);
            for (var i = 0; i < bytes.Length; i++)
            {
                bytes[i] ^= 0xFF;
            }

            stream.Position = middle;
            stream.Write(bytes);
        }

        if (keepTimestamp)
        {
            File.SetLastWriteTimeUtc(path, modified);
        }
        else
        {
            // Make sure the change shows even on a file system with coarse timestamps.
            File.SetLastWriteTimeUtc(path, modified.AddSeconds(-5));
        }

        Assert.Equal(length, new FileInfo(path).Length);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A mount still in place or a file still open: the system's temp cleaning will get it.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
