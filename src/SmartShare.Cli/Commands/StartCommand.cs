using System.CommandLine;
using System.Net;
using System.Text.Json.Nodes;
using SmartShare.Lbry.Dht;

namespace SmartShare.Cli.Commands;

/// <summary>
/// <c>smartshare start</c>: runs the node in the foreground until Ctrl-C or SIGTERM. Today that is the LBRY
/// DHT: it answers lbry-sdk nodes, joins through saved contacts and --bootstrap, and announces the sd hash of
/// every stream in the local store (again before the 24 h expiry, as lbry-sdk does every 12 h).
/// </summary>
internal static class StartCommand
{
    private static readonly TimeSpan ReannounceInterval = TimeSpan.FromHours(12);
    private static readonly TimeSpan RejoinInterval = TimeSpan.FromSeconds(30);

    public static Command Create()
    {
        var dht = new DhtOptions(defaultPort: 4444);
        var bind = new Option<string>("--bind")
        {
            Description = "Address to listen on. Default: all IPv4 addresses.",
            HelpName = "ADDRESS",
            DefaultValueFactory = _ => "0.0.0.0",
        };
        var command = new Command("start", "Run the node in the foreground (LBRY DHT on UDP --port) until Ctrl-C.");
        dht.AddTo(command);
        command.Options.Add(bind);
        command.SetAction(CommandContext.Action(async (context, cancellationToken) =>
        {
            if (!IPAddress.TryParse(context.Parse.GetValue(bind), out var address))
            {
                throw new FormatException($"--bind takes an IP address, not '{context.Parse.GetValue(bind)}'.");
            }

            var bootstrap = dht.BootstrapEndPoints(context.Parse);
            var storage = context.OpenStorage(cancellationToken);
            await using var service = LbryDhtService.Start(
                storage, address, dht.PortValue(context.Parse), bootstrap, context.Parse.GetValue(dht.AllowLan), TimeProvider.System, SecureRandomSource.Instance);
            context.Output.Info($"LBRY DHT listening on UDP {service.LocalEndPoint} as node {service.Engine.Id.ToString()[..16]}...; press Ctrl-C to stop.");

            var announced = 0;
            try
            {
                await RunAsync(context, service, storage, count => announced = count, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Ctrl-C is how a foreground node is meant to stop.
            }

            var contacts = service.Engine.RoutingTable.Count;
            context.Output.Succeed(
                $"Stopped the node; {contacts} DHT contacts saved for the next start.",
                new JsonObject
                {
                    ["stopped"] = true,
                    ["udp_port"] = service.LocalEndPoint.Port,
                    ["node_id"] = service.Engine.Id.ToString(),
                    ["contacts"] = contacts,
                    ["announced"] = announced,
                });
            return ExitCodes.Success;
        }));
        return command;
    }

    private static async Task RunAsync(CommandContext context, LbryDhtService service, Lbry.LbryStorage storage, Action<int> announced, CancellationToken cancellationToken)
    {
        while (!await service.JoinAsync(cancellationToken))
        {
            context.Output.Info("No DHT node answered yet (saved contacts and --bootstrap); answering requests and trying again.");
            await Task.Delay(RejoinInterval, cancellationToken);
        }

        context.Output.Info($"Joined the DHT: {service.Engine.RoutingTable.Count} contacts.");
        while (true)
        {
            var streams = storage.Streams.List();
            foreach (var stream in streams)
            {
                var stored = await service.AnnounceAsync(stream.SdHash, cancellationToken);
                context.Output.Info($"Announced {stream.SdHash} ({stream.StreamName}) to {stored} nodes.");
            }

            announced(streams.Count);
            service.SaveContacts();
            await Task.Delay(ReannounceInterval, cancellationToken);
        }
    }
}
