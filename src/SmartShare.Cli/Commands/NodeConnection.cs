using System.Diagnostics;
using System.Text.Json.Nodes;
using SmartShare.Cli.Output;
using SmartShare.Lbry.Blobs;
using SmartShare.Node.Client;
using SmartShare.Node.Hosting;
using SmartShare.Node.Settings;

namespace SmartShare.Cli.Commands;

/// <summary>
/// The node a command talks to, always through its API: the running node when one answers at --api, else a one-off
/// node started in this process for this command alone (called in process: it opens no API port and writes no token;
/// its network ports are free ones), which is stopped when this is disposed. A command is written once against
/// <see cref="Api"/>; <see cref="IsOneOff"/> only changes what it says (who serves a share, what Ctrl-C leaves).
/// </summary>
internal sealed class NodeConnection : IAsyncDisposable
{
    private readonly NodeHost? _host;

    private NodeConnection(NodeApiClient api, NodeHost? host, NodeSettings? settings)
    {
        Api = api;
        _host = host;
        Settings = settings;
    }

    /// <summary>The node's API. Calls may take as long as the work they ask for (a share of a large file); Ctrl-C ends them.</summary>
    public NodeApiClient Api { get; }

    /// <summary>True when the node runs in this process for this command only.</summary>
    public bool IsOneOff => _host is not null;

    /// <summary>A one-off node's settings as the data directory has them (the ports a later `start` listens on); null for a running node.</summary>
    public NodeSettings? Settings { get; }

    /// <summary>
    /// The running node, or a one-off one with <paramref name="flags"/> over the data directory's settings. A one-off
    /// node serves no HTTP, listens on free ports (LBRY DHT, BitTorrent) and uses the networks only as far as
    /// <paramref name="use"/> needs.
    /// </summary>
    public static async Task<NodeConnection> OpenAsync(
        CommandContext context, NodeUse use, IReadOnlyDictionary<string, JsonNode?>? flags, CancellationToken cancellationToken)
    {
        try
        {
            // ProbeAsync answers for the node of this data directory only: a node at the settings' address that
            // runs on another directory counts as no node (a one-off one serves this command). What it learned is not
            // asked again: a refused connect means no node, an answered status a running one.
            var (probe, found) = await context.ProbeAsync(cancellationToken);
            using var client = probe;
            if (found == NodeProbe.Answered || (found == NodeProbe.Unchecked && await client.IsRunningAsync(cancellationToken)))
            {
                StartupPrewarm.NotNeeded();
                return new NodeConnection(context.CreateApiClient(Timeout.InfiniteTimeSpan), null, null);
            }
        }
        catch (NodeNotRunningException)
        {
            // Not this directory's node.
        }

        var settings = new Dictionary<string, JsonNode?>
        {
            [NodeSettingKeys.Api] = "http://127.0.0.1:0",
            [NodeSettingKeys.Port] = 0,
            [NodeSettingKeys.BtPort] = 0,

            // A node for one command leaves the router alone.
            [NodeSettingKeys.PortMapping] = false,
        };
        if (use != NodeUse.Download)
        {
            settings[NodeSettingKeys.BtBootstrap] = new JsonArray();
            settings[NodeSettingKeys.BtDht] = false;
            settings[NodeSettingKeys.Announce] = false;
            settings[NodeSettingKeys.LocalDiscovery] = false;
        }

        if (use == NodeUse.Local)
        {
            settings[NodeSettingKeys.Bootstrap] = new JsonArray();
        }

        foreach (var (key, value) in flags ?? new Dictionary<string, JsonNode?>())
        {
            settings[key] = value?.DeepClone();
        }

        var own = NodeSettingsStore.Load(context.DataDirectory).Current;
        var watch = Stopwatch.StartNew();
        var host = new NodeHost(new NodeHostOptions
        {
            DataDirectory = context.DataDirectory,
            Settings = NodeSettingsStore.Load(context.DataDirectory, settings),
            Verbose = context.Output.IsVerbose,
            Transient = use != NodeUse.Download,

            // Called in this process only: no API port, no token file.
            ServeHttp = false,
        });
        NodeApiClient? api = null;
        try
        {
            await host.StartAsync(cancellationToken);
            // In this process: calls skip the loopback HTTP round trip (the first one's cold code cost ~45 ms).
            api = new NodeApiClient(host.ApiUri, host.CreateInProcessApiHandler(), Timeout.InfiniteTimeSpan, NodeApiCredentials.For(context.DataDirectory, host.ApiUri));
            context.Output.Detail($"No node answers at {GlobalOptions.ResolveApiUri(context.Parse, context.DataDirectory)}: started one in this process in {Sizes.Seconds(watch.Elapsed)} (called in this process, no API port; LBRY port {host.DhtEndPoint.Port}).");

            // Read from the node in this process, not through a `status` call (which builds every network's section).
            WarnAboutStartup(context.Output, host.Storage.StartupReport, context.DataDirectory);
            return new NodeConnection(api, host, own);
        }
        catch
        {
            api?.Dispose();
            await host.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        Api.Dispose();
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }

    // What opening the store found, as the CLI has always said it when it opened the store itself (at most as many
    // hashes of each kind as `status` lists).
    private static void WarnAboutStartup(CommandOutput output, ReconcileReport report, string dataDirectory)
    {
        var folder = Path.Combine(dataDirectory, "blobs");
        if (report.Added.Count > 0)
        {
            output.Warn($"{report.Added.Count} blob file(s) found in {folder} were checked and added to the index.");
        }

        foreach (var hash in report.Missing.Take(ReconcileReport.MaxListed))
        {
            output.Warn($"Blob {hash} is missing from {folder}; it was removed from the index.");
        }

        foreach (var hash in report.Corrupt.Take(ReconcileReport.MaxListed))
        {
            output.Warn($"Blob {hash} was damaged (its content no longer matches its hash); it was deleted.");
        }
    }
}

/// <summary>What a one-off node is started for, and so how much of the networks it uses.</summary>
internal enum NodeUse
{
    /// <summary>The data directory only (list, share, blobs): no bootstrap contact, no Mainline DHT, no announcing.</summary>
    Local,

    /// <summary>A DHT lookup (peers): joins the LBRY DHT through saved contacts and bootstrap nodes, saves nothing.</summary>
    Lookup,

    /// <summary>A download (get): both networks as the settings and flags say, contacts saved for the next start.</summary>
    Download,
}
