using System.Text.Json.Nodes;
using SmartShare.Node.Hosting;
using SmartShare.Node.Networks;
using SmartShare.Node.Transfers;

namespace SmartShare.Node.Api;

/// <summary>The node's own methods: <c>status</c>, <c>stop</c>, <c>help</c> and <c>method_list</c>.</summary>
internal sealed class NodeRpcMethods(
    NodeRuntime runtime,
    LbryNetwork lbry,
    IEnumerable<INetworkService> networks,
    NodeShutdown shutdown,
    TransferManager transfers,
    IEnumerable<IStatusContributor> contributors) : IRpcMethodProvider
{
    // Every transfer's row, read into this kept list by each status (a client polls it; 6,000 views each time made
    // most of the node's work while a restart was watched).
    private readonly List<TransferRow> _rows = [];
    private readonly Lock _rowsGate = new();

    public void Register(JsonRpcMethods methods)
    {
        ArgumentNullException.ThrowIfNull(methods);
        methods.Add("status", "What the node is running: version, API, both DHTs, ports, uptime, transfers by state with total rates, what start-up found.", (RpcParams _, CancellationToken _) => Task.FromResult<JsonNode?>(Status()));
        methods.Add("stop", "Stops the node gracefully after answering.", (RpcParams _, CancellationToken _) =>
        {
            shutdown.Request();
            return Task.FromResult<JsonNode?>(new JsonObject { ["stopping"] = true });
        });
        methods.Add("method_list", "The methods this node answers, each with a one-line description.", (RpcParams _, CancellationToken _) => Task.FromResult<JsonNode?>(List(methods)));
        methods.Add("help", "Describes one method ({\"command\": NAME}) or lists them all.", (RpcParams parameters, CancellationToken _) =>
        {
            var name = parameters.GetOptionalString("command");
            if (name is null)
            {
                return Task.FromResult<JsonNode?>(List(methods));
            }

            return methods.TryGet(name, out var method)
                ? Task.FromResult<JsonNode?>(new JsonObject { ["name"] = method.Name, ["description"] = method.Description })
                : throw JsonRpcException.InvalidParams($"There is no method '{name}'; 'method_list' lists them.");
        });
    }

    private static JsonArray List(JsonRpcMethods methods) =>
        [.. methods.All.Select(method => (JsonNode?)new JsonObject { ["name"] = method.Name, ["description"] = method.Description })];

    // Each network, started the same way, with what it bound: {"lbry": {..., "end_points": [...]}, "bittorrent": {...}}.
    private JsonObject Networks()
    {
        var section = new JsonObject();
        foreach (var network in networks)
        {
            var entry = network.Describe() ?? [];
            entry["end_points"] = new JsonArray([.. network.EndPoints.Select(endPoint => (JsonNode?)endPoint.ToJson())]);
            section[network.Name] = entry;
        }

        return section;
    }

    // Every transfer counted by state (every state named, 0 when none), with the total rates and connected peers.
    private JsonObject Transfers()
    {
        var counts = new int[Enum.GetValues<TransferState>().Max(state => (int)state) + 1];
        double down = 0, up = 0;
        long peers = 0;
        int total;
        lock (_rowsGate)
        {
            transfers.ReadRows(_rows);
            total = _rows.Count;
            foreach (var row in _rows)
            {
                counts[(int)row.State]++;
                down += row.DownloadRate;
                up += row.UploadRate;
                peers += row.PeersConnected;
            }

            _rows.Clear();
        }

        var byState = new JsonObject();
        foreach (var state in Enum.GetValues<TransferState>())
        {
            byState[TransferView.StateName(state)] = counts[(int)state];
        }

        return new JsonObject
        {
            ["total"] = total,
            ["by_state"] = byState,
            ["download_rate"] = Math.Round(down),
            ["upload_rate"] = Math.Round(up),
            ["peers_connected"] = peers,
        };
    }

    private static JsonArray Hashes(IEnumerable<SmartShare.Lbry.Blobs.BlobHash> hashes) =>
        [.. hashes.Take(SmartShare.Lbry.Blobs.ReconcileReport.MaxListed).Select(hash => (JsonNode?)JsonValue.Create(hash.ToString()))];

    private JsonObject Status()
    {
        var report = runtime.StartupReport;
        var networks = Networks();

        // The LBRY DHT's section as before the networks section existed (the CLI's status reads it): the same facts,
        // described once (they include a read of the saved contacts).
        var dht = networks[lbry.Name]?.DeepClone() as JsonObject;
        dht?.Remove("end_points");
        var status = new JsonObject
        {
            ["is_running"] = true,
            ["version"] = NodeInfo.Version,
            ["data_dir"] = runtime.DataDirectory,
            ["api"] = runtime.ApiUri?.GetLeftPart(UriPartial.Authority),
            ["uptime_seconds"] = (long)runtime.Uptime.TotalSeconds,
            ["dht"] = dht,
            ["networks"] = networks,
            ["transfers"] = Transfers(),
            // Filled in by the blob-exchange server's IStatusContributor once it exists.
            ["blob_exchange"] = null,
            ["startup"] = new JsonObject
            {
                ["blobs"] = new JsonObject
                {
                    ["checked"] = report.Checked,
                    ["hashed"] = report.Hashed,
                    ["added"] = report.Added.Count,
                    ["missing"] = report.Missing.Count,
                    ["corrupt"] = report.Corrupt.Count,
                    ["stale_temporary_files_removed"] = report.StaleTemporaryFilesRemoved,

                    // Which ones, so a client can warn about each (the CLI does for a node it started).
                    ["added_hashes"] = Hashes(report.Added),
                    ["missing_hashes"] = Hashes(report.Missing),
                    ["corrupt_hashes"] = Hashes(report.Corrupt),
                },
            },
        };
        foreach (var contributor in contributors)
        {
            status[contributor.Section] = contributor.Describe();
        }

        return status;
    }
}
