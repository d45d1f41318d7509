using System.CommandLine;
using System.Net;
using System.Text.Json.Nodes;
using SmartShare.Lbry.Blobs;
using SmartShare.Lbry.Dht;

namespace SmartShare.Cli.Commands;

/// <summary><c>smartshare peers HASH</c>: the peers the LBRY DHT knows for a hash, like lbrynet's peer_list.</summary>
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
            var bootstrap = dht.BootstrapEndPoints(context.Parse);
            var storage = context.OpenStorage(cancellationToken);
            await using var service = LbryDhtService.Start(
                storage, IPAddress.Any, dht.PortValue(context.Parse), bootstrap, context.Parse.GetValue(dht.AllowLan),
                TimeProvider.System, SecureRandomSource.Instance, persistent: false);
            if (!await service.JoinAsync(cancellationToken))
            {
                throw new IOException(
                    "Cannot reach the DHT: no saved contact and no --bootstrap node answered. Give a reachable node with --bootstrap HOST:PORT.");
            }

            var peers = await service.FindPeersAsync(key, cancellationToken);
            if (!context.Output.IsJson)
            {
                foreach (var peer in peers)
                {
                    Console.Out.WriteLine($"{peer.Address}:{peer.TcpPort}");
                }
            }

            context.Output.Succeed(
                $"{peers.Count} peer(s) for {key}.",
                new JsonObject
                {
                    ["hash"] = key.ToString(),
                    ["peers"] = new JsonArray(peers.Select(peer => (JsonNode)new JsonObject
                    {
                        ["host"] = peer.Address.ToString(),
                        ["port"] = peer.TcpPort,
                        ["node_id"] = Convert.ToHexStringLower(peer.NodeId.Span),
                    }).ToArray()),
                });
            return ExitCodes.Success;
        }));
        return command;
    }
}
