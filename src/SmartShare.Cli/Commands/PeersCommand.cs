using System.CommandLine;
using System.Net;
using System.Text.Json.Nodes;
using SmartShare.Lbry.Blobs;
using SmartShare.Lbry.Dht;
using SmartShare.Node.Client;

namespace SmartShare.Cli.Commands;

/// <summary>
/// <c>smartshare peers HASH</c>: the peers the LBRY DHT knows for a hash, like lbrynet's peer_list: from the
/// running node when there is one, else from a short-lived DHT node of this command's own.
/// </summary>
internal static class PeersCommand
{
    public static Command Create()
    {
        var hash = new Argument<string>("HASH") { Description = "An sd hash or blob hash (96 hex digits)." };
        var dht = new DhtOptions(defaultPort: 0);
        var command = new Command("peers", "List the peers the DHT knows for a hash (blob-exchange addresses).") { hash };
        dht.AddTo(command);
        command.SetAction(CommandContext.Action(async (context, cancellationToken) =>
        {
            var key = BlobHash.Parse(context.Parse.GetValue(hash)!, "hash");
            using var api = context.CreateApiClient();
            var peers = await api.IsRunningAsync(cancellationToken)
                ? await FromNodeAsync(api, key, cancellationToken)
                : await FromTemporaryNodeAsync(context, dht, key, cancellationToken);
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

    /// <summary>Asks the running node (its <c>peer_list</c>), which is already in the DHT.</summary>
    private static async Task<List<Peer>> FromNodeAsync(NodeApiClient api, BlobHash key, CancellationToken cancellationToken)
    {
        var answer = await api.CallAsync("peer_list", new JsonObject { ["blob_hash"] = key.ToString() }, cancellationToken);
        return [.. (answer as JsonArray ?? []).OfType<JsonObject>().Select(peer => new Peer(
            peer["address"]?.GetValue<string>() ?? "?",
            peer["port"]?.GetValue<int>() ?? 0,
            peer["node_id"]?.GetValue<string>() ?? string.Empty))];
    }

    /// <summary>With no node running: a short-lived DHT node of its own, joined through saved contacts and --bootstrap.</summary>
    private static async Task<List<Peer>> FromTemporaryNodeAsync(CommandContext context, DhtOptions dht, BlobHash key, CancellationToken cancellationToken)
    {
        var bootstrap = dht.BootstrapEndPoints(context.Parse);
        var storage = context.OpenStorage(cancellationToken);
        await using var service = LbryDhtService.Start(
            storage, IPAddress.Any, dht.PortValue(context.Parse), bootstrap, context.Parse.GetValue(dht.AllowLan),
            TimeProvider.System, SecureRandomSource.Instance, persistent: false);
        if (!await service.JoinAsync(cancellationToken))
        {
            throw new IOException(
                "Cannot reach the DHT: no node is running, and no saved contact and no --bootstrap node answered. Start a node, or give a reachable node with --bootstrap HOST:PORT.");
        }

        var found = await service.FindPeersAsync(key, cancellationToken);
        return [.. found.Select(peer => new Peer(peer.Address.ToString(), peer.TcpPort, Convert.ToHexStringLower(peer.NodeId.Span)))];
    }

    private sealed record Peer(string Host, int Port, string NodeId);
}
