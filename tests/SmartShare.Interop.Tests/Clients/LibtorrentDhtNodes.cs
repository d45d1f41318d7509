using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SmartShare.Interop.Tests.Clients;

/// <summary>
/// Pure libtorrent Mainline DHT nodes (BEP 5): libtorrent sessions with the DHT on and no torrent, in one Python
/// process (Clients/lt_dht.py), each on its own 127.0.0.x address, kept on loopback, with libtorrent's per-IP DHT
/// limits relaxed (facts point 4) and no public bootstrap router. Use one as the bootstrap node of other clients.
/// A libtorrent node never answers get_peers with itself (facts point 10), so a trackerless test needs one of
/// these besides the seeder and the downloader. Disposing tells the process to quit and kills it if it does not.
/// </summary>
public sealed class LibtorrentDhtNodes : IAsyncDisposable
{
    private readonly ToolProcess _process;
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<IPEndPoint> _endpoints = [];
    private readonly List<(int Node, string InfoHash, IPEndPoint Peer)> _announces = [];
    private readonly Lock _lock = new();
    private int[] _routingTableSizes = [];

    private LibtorrentDhtNodes(IReadOnlyList<IPAddress> addresses, IReadOnlyList<IPEndPoint> bootstrap)
    {
        var arguments = new JsonObject
        {
            ["listen"] = new JsonArray([.. addresses.Select(address => JsonValue.Create($"{address}:0"))]),
            ["dht_bootstrap_nodes"] = new JsonArray([.. bootstrap.Select(node => JsonValue.Create(node.ToString()))]),
        };
        _process = ToolProcess.Start(
            $"libtorrent DHT node{(addresses.Count == 1 ? "" : "s")} {string.Join(", ", addresses)}",
            InteropTools.Python,
            [InteropTools.LibtorrentDhtScript, arguments.ToJsonString()],
            onStandardOutput: Receive,
            redirectStandardInput: true);
    }

    /// <summary>The UDP endpoints of the nodes, in the order started.</summary>
    public IReadOnlyList<IPEndPoint> Endpoints
    {
        get
        {
            lock (_lock)
            {
                return [.. _endpoints];
            }
        }
    }

    /// <summary>The announce_peer queries the nodes accepted so far: (node index, info hash in hex, peer endpoint).</summary>
    public IReadOnlyList<(int Node, string InfoHash, IPEndPoint Peer)> Announces
    {
        get
        {
            lock (_lock)
            {
                return [.. _announces];
            }
        }
    }

    /// <summary>The first node's UDP endpoint.</summary>
    public IPEndPoint Endpoint => Endpoints[0];

    /// <summary>The routing-table size of each node, as last printed (checked every 0.5 s, printed when it changes).</summary>
    public IReadOnlyList<int> RoutingTableSizes => Volatile.Read(ref _routingTableSizes);

    public string Describe() => _process.Describe(20);

    /// <summary>Starts <paramref name="count"/> nodes on fresh 127.0.0.x addresses and waits until all listen.</summary>
    /// <param name="bootstrap">Nodes every node also joins through (the nodes started together find each other anyway).</param>
    public static async Task<LibtorrentDhtNodes> StartAsync(int count = 1, IReadOnlyList<IPEndPoint>? bootstrap = null, TimeSpan? timeLimit = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var nodes = new LibtorrentDhtNodes([.. Enumerable.Range(0, count).Select(_ => LoopbackAddresses.Next())], bootstrap ?? []);
        try
        {
            await nodes.WaitAsync(nodes._ready.Task, "listen", timeLimit ?? TimeSpan.FromSeconds(20));
        }
        catch
        {
            await nodes.DisposeAsync();
            throw;
        }

        return nodes;
    }

    /// <summary>Waits until the first node's routing table holds at least <paramref name="nodes"/> nodes.</summary>
    public Task WaitForRoutingTableAsync(int nodes, TimeSpan timeLimit, Func<string>? diagnostics = null) =>
        Waiting.UntilAsync(
            () => RoutingTableSizes.Count > 0 && RoutingTableSizes[0] >= nodes,
            $"the libtorrent DHT node {Endpoint} knows {nodes} node(s)",
            timeLimit,
            () => $"It knows {(RoutingTableSizes.Count > 0 ? RoutingTableSizes[0] : 0)} (libtorrent keeps its own bootstrap nodes out of its routing table).\n"
                + Describe() + (diagnostics is null ? "" : "\n" + diagnostics()));

    public ValueTask DisposeAsync() => _process.QuitAndDisposeAsync();

    private Task WaitAsync(Task task, string what, TimeSpan timeLimit) =>
        _process.WaitOrFailAsync(task, what, timeLimit);

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
                case "node":
                    lock (_lock)
                    {
                        _endpoints.Add(new IPEndPoint(IPAddress.Parse(root.GetProperty("address").GetString()!), root.GetProperty("port").GetInt32()));
                    }

                    break;
                case "announce":
                    lock (_lock)
                    {
                        _announces.Add((
                            root.GetProperty("node").GetInt32(),
                            root.GetProperty("info_hash").GetString()!,
                            new IPEndPoint(IPAddress.Parse(root.GetProperty("ip").GetString()!), root.GetProperty("port").GetInt32())));
                    }

                    break;
                case "ready":
                    _ready.TrySetResult();
                    break;
                case "dht_stats":
                    Volatile.Write(ref _routingTableSizes, [.. root.GetProperty("nodes").EnumerateArray().Select(size => size.GetInt32())]);
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
        catch (FormatException)
        {
        }
    }
}
