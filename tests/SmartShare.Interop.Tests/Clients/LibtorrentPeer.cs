using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SmartShare.Interop.Tests.Clients;

/// <summary>How a <see cref="LibtorrentPeer"/> runs. Give <see cref="TorrentPath"/> or <see cref="Magnet"/>.</summary>
public sealed record LibtorrentOptions
{
    /// <summary>Seed what is in <see cref="SavePath"/> (checked first unless <see cref="SeedMode"/>), or download into it.</summary>
    public bool Seed { get; init; }

    public string? TorrentPath { get; init; }

    public string? Magnet { get; init; }

    public required string SavePath { get; init; }

    /// <summary>The 127.0.0.x address (or ::1) to listen on and dial from; a fresh 127.0.0.x one when null.</summary>
    public IPAddress? Address { get; init; }

    /// <summary>TCP (and, with the DHT, UDP) port; a free one when 0.</summary>
    public int Port { get; init; }

    /// <summary>Peers dialled as soon as the torrent is added.</summary>
    public IReadOnlyList<IPEndPoint> Peers { get; init; } = [];

    public bool Dht { get; init; }

    public IReadOnlyList<IPEndPoint> DhtBootstrapNodes { get; init; } = [];

    /// <summary>"enabled" (libtorrent's default: plaintext or MSE), "forced", "disabled", "plaintext" or "rc4" (MSE with RC4 required both ways).</summary>
    public string Encryption { get; init; } = "enabled";

    /// <summary>Trust the files when seeding instead of hashing them first (for big files).</summary>
    public bool SeedMode { get; init; }

    /// <summary>"tcp" (the default), "utp" (uTP only: TCP neither dialled nor accepted) or "both".</summary>
    public string Transport { get; init; } = "tcp";
}

/// <summary>The last progress line of a <see cref="LibtorrentPeer"/>.</summary>
public sealed record LibtorrentProgress(long Done, long Total, long Rate, int Peers, string State);

/// <summary>
/// A libtorrent 2.0 peer (Debian's python3-libtorrent, driven by lt_peer.py) kept on loopback: TCP only unless
/// <see cref="LibtorrentOptions.Transport"/> says otherwise, no LSD/UPnP/NAT-PMP, an IP filter allowing only 127.0.0.0/8, several connections per
/// IP allowed and a 1 s reconnect time. Disposing tells it to quit and kills it if it does not.
/// </summary>
public sealed class LibtorrentPeer : IAsyncDisposable
{
    private readonly ToolProcess _process;
    private readonly TaskCompletionSource<IPEndPoint> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<IPEndPoint, byte> _dhtPeers = new();
    private LibtorrentProgress? _progress;
    private string? _infoHash;

    private LibtorrentPeer(LibtorrentOptions options, IPAddress address, int port)
    {
        Address = address;
        Port = port;
        var arguments = new JsonObject
        {
            ["mode"] = options.Seed ? "seed" : "download",
            ["save_path"] = options.SavePath,
            ["listen"] = new IPEndPoint(address, port).ToString(),
            ["peers"] = new JsonArray([.. options.Peers.Select(peer => JsonValue.Create(peer.ToString()))]),
            ["dht"] = options.Dht,
            ["dht_bootstrap_nodes"] = new JsonArray([.. options.DhtBootstrapNodes.Select(node => JsonValue.Create(node.ToString()))]),
            ["encryption"] = options.Encryption,
            ["seed_mode"] = options.SeedMode,
            ["transport"] = options.Transport,
        };
        if (options.TorrentPath is not null)
        {
            arguments["torrent"] = options.TorrentPath;
        }

        if (options.Magnet is not null)
        {
            arguments["magnet"] = options.Magnet;
        }

        _process = ToolProcess.Start(
            $"libtorrent {(options.Seed ? "seeder" : "downloader")} {address}",
            InteropTools.Python,
            [InteropTools.LibtorrentPeerScript, arguments.ToJsonString()],
            onStandardOutput: Receive,
            redirectStandardInput: true,
            sampleMemory: true);
    }

    public IPAddress Address { get; }

    public int Port { get; }

    public IPEndPoint Endpoint => new(Address, Port);

    /// <summary>40 hex digits, once the torrent was added (null before, and for a magnet until then).</summary>
    public string? InfoHash => Volatile.Read(ref _infoHash);

    public LibtorrentProgress? Progress => Volatile.Read(ref _progress);

    /// <summary>Peak RssAnon of the Python process in KiB, sampled every 0.1 s.</summary>
    public long PeakRssAnonKib => _process.PeakRssAnonKib;

    public int ProcessId => _process.ProcessId;

    public string Describe() => _process.Describe();

    public static LibtorrentPeer Start(LibtorrentOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if ((options.TorrentPath is null) == (options.Magnet is null))
        {
            throw new ArgumentException("Give exactly one of TorrentPath and Magnet.", nameof(options));
        }

        var address = options.Address ?? LoopbackAddresses.Next();
        var port = options.Port != 0 ? options.Port : LoopbackAddresses.FreePort(address);
        return new LibtorrentPeer(options, address, port);
    }

    /// <summary>Starts a peer and waits until it listens.</summary>
    public static async Task<LibtorrentPeer> StartListeningAsync(LibtorrentOptions options, TimeSpan? timeLimit = null)
    {
        var peer = Start(options);
        try
        {
            await peer.WaitForListeningAsync(timeLimit);
        }
        catch
        {
            await peer.DisposeAsync();
            throw;
        }

        return peer;
    }

    /// <summary>Waits for the "listening" line and returns the endpoint.</summary>
    public async Task<IPEndPoint> WaitForListeningAsync(TimeSpan? timeLimit = null)
    {
        await WaitAsync(_listening.Task, "listens", timeLimit ?? TimeSpan.FromSeconds(20));
        return await _listening.Task;
    }

    /// <summary>Waits until the peer has every piece (a seeder: once its files are checked).</summary>
    public Task WaitForFinishedAsync(TimeSpan timeLimit) => WaitAsync(_finished.Task, "has every piece", timeLimit);

    /// <summary>Asks the peer to dial <paramref name="peer"/> (retried by libtorrent after 1 s if it fails).</summary>
    public void ConnectPeer(IPEndPoint peer)
    {
        ArgumentNullException.ThrowIfNull(peer);
        _process.WriteLine(new JsonObject { ["cmd"] = "connect", ["peer"] = peer.ToString() }.ToJsonString());
    }

    /// <summary>Asks libtorrent's DHT for the peers of <paramref name="infoHashHex"/>; replies fill <see cref="DhtPeers"/>.</summary>
    public void DhtGetPeers(string infoHashHex)
    {
        ArgumentException.ThrowIfNullOrEmpty(infoHashHex);
        _process.WriteLine(new JsonObject { ["cmd"] = "dht_get_peers", ["info_hash"] = infoHashHex }.ToJsonString());
    }

    /// <summary>Every peer libtorrent's DHT lookups (<see cref="DhtGetPeers"/>) have returned so far.</summary>
    public IReadOnlyCollection<IPEndPoint> DhtPeers => _dhtPeers.Keys.ToArray();

    public ValueTask DisposeAsync() => _process.QuitAndDisposeAsync();

    private Task WaitAsync(Task task, string what, TimeSpan timeLimit) =>
        _process.WaitOrFailAsync(task, what, timeLimit, () => $" Last progress: {Progress}");

    private void Receive(string line)
    {
        if (!line.StartsWith('{'))
        {
            return;
        }

        try
        {
            using var document = JsonDocument.Parse(line);
            var root = document.RootElement;
            switch (root.GetProperty("event").GetString())
            {
                case "listening":
                    _listening.TrySetResult(new IPEndPoint(IPAddress.Parse(root.GetProperty("address").GetString()!), root.GetProperty("port").GetInt32()));
                    break;
                case "added":
                    Volatile.Write(ref _infoHash, root.GetProperty("info_hash").GetString());
                    break;
                case "progress":
                    Volatile.Write(ref _progress, new LibtorrentProgress(
                        root.GetProperty("done").GetInt64(),
                        root.GetProperty("total").GetInt64(),
                        root.GetProperty("rate").GetInt64(),
                        root.GetProperty("peers").GetInt32(),
                        root.GetProperty("state").GetString() ?? ""));
                    break;
                case "finished":
                    _finished.TrySetResult();
                    break;
                case "dht_peers":
                    foreach (var peer in root.GetProperty("peers").EnumerateArray())
                    {
                        if (IPEndPoint.TryParse(peer.GetString() ?? "", out var endPoint))
                        {
                            _dhtPeers.TryAdd(endPoint, 0);
                        }
                    }

                    break;
                default:
                    break;
            }
        }
        catch (JsonException)
        {
            // Not one of ours; it stays in the output for diagnostics.
        }
        catch (KeyNotFoundException)
        {
        }
    }
}
