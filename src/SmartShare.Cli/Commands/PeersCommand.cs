using System.CommandLine;
using System.Net;
using System.Text.Json.Nodes;
using SmartShare.Lbry.Blobs;
using SmartShare.Node.Client;
using SmartShare.Node.Settings;

namespace SmartShare.Cli.Commands;

/// <summary>
/// <c>smartshare peers HASH</c>: the peers the LBRY DHT knows for a hash, like lbrynet's peer_list: from the
/// running node when there is one, else from a one-off node of this command's own that joins the DHT for the lookup.
/// </summary>
internal static class PeersCommand
{
    public static Command Create()
    {
        var hash = new Argument<string>("HASH") { Description = "An sd hash or blob hash (96 hex digits); with --connected, a transfer (hash, unique prefix of at least 4 hex digits, or exact name)." };
        var connected = new Option<bool>("--connected")
        {
            Description = "Instead of asking the DHT, list the peers a transfer of this node is connected to (a torrent's: address, client, rates, progress).",
        };
        var dht = new DhtOptions(defaultPort: 0);
        var command = new Command("peers", "List the peers the DHT knows for a hash (blob-exchange addresses), or with --connected a transfer's connected peers.") { hash, connected };
        dht.AddTo(command);
        command.SetAction(CommandContext.Action(async (context, cancellationToken) =>
        {
            if (context.Parse.GetValue(connected))
            {
                return await TransferCommands.ConnectedPeersAsync(context, context.Parse.GetValue(hash)!, cancellationToken);
            }

            var key = BlobHash.Parse(context.Parse.GetValue(hash)!, "hash");
            var flags = new Dictionary<string, JsonNode?> { [NodeSettingKeys.Port] = dht.PortValue(context.Parse) };
            if (dht.BootstrapEndPoints(context.Parse) is { Count: > 0 } bootstrap)
            {
                flags[NodeSettingKeys.Bootstrap] = new JsonArray([.. bootstrap.Select(endPoint => (JsonNode?)JsonValue.Create(endPoint.ToString()))]);
            }

            if (context.Parse.GetValue(dht.AllowLan))
            {
                flags[NodeSettingKeys.AllowLan] = true;
            }

            await using var node = await NodeConnection.OpenAsync(context, NodeUse.Lookup, flags, cancellationToken);
            var peers = await FindAsync(node, key, cancellationToken);
            if (!context.Output.IsJson)
            {
                foreach (var peer in peers)
                {
                    Console.Out.WriteLine($"{peer.Host}:{peer.Port}");
                }
            }

            context.Output.Succeed(
                $"{peers.Count} peer(s) for {key}.",
                new JsonObject
                {
                    ["hash"] = key.ToString(),
                    ["peers"] = new JsonArray(peers.Select(peer => (JsonNode)new JsonObject
                    {
                        ["host"] = peer.Host,
                        ["port"] = peer.Port,
                        ["node_id"] = peer.NodeId,
                    }).ToArray()),
                });
            return ExitCodes.Success;
        }));
        return command;
    }

    /// <summary>
    /// The node's <c>peer_list</c>. A running node is in the DHT already; a one-off one joins first, through saved
    /// contacts and --bootstrap, and fails with a sentence when nobody answers.
    /// </summary>
    private static async Task<List<Peer>> FindAsync(NodeConnection node, BlobHash key, CancellationToken cancellationToken)
    {
        JsonNode? answer;
        try
        {
            answer = await node.Api.CallAsync("peer_list", new JsonObject { ["blob_hash"] = key.ToString(), ["join"] = node.IsOneOff }, cancellationToken);
        }
        catch (NodeApiException ex) when (node.IsOneOff && ex.Kind == "io")
        {
            throw new IOException(
                "Cannot reach the DHT: no node is running, and no saved contact and no --bootstrap node answered. Start a node, or give a reachable node with --bootstrap HOST:PORT.",
                ex);
        }

        return [.. (answer as JsonArray ?? []).OfType<JsonObject>().Select(peer => new Peer(
            peer["address"]?.GetValue<string>() ?? "?",
            peer["port"]?.GetValue<int>() ?? 0,
            peer["node_id"]?.GetValue<string>() ?? string.Empty))];
    }

    private sealed record Peer(string Host, int Port, string NodeId);
}
