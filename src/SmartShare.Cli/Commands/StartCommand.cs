using System.CommandLine;
using System.Text.Json.Nodes;
using SmartShare.Node.Hosting;
using SmartShare.Node.Settings;

namespace SmartShare.Cli.Commands;

/// <summary>
/// <c>smartshare start</c>: runs the node in the foreground until Ctrl-C, SIGTERM or <c>smartshare stop</c>: the
/// LBRY DHT (joining through saved contacts and --bootstrap, announcing every local stream) and the JSON-RPC API.
/// Flags override the settings (settings.json in the data directory and SMARTSHARE_* variables).
/// </summary>
internal static class StartCommand
{
    public static Command Create()
    {
        var dht = new DhtOptions(defaultPort: 4444);
        var bind = new Option<string?>("--bind")
        {
            Description = "Address the node listens on (DHTs, blob exchange, BitTorrent peers). Default: the 'bind' setting, else all IPv4 addresses and, where the machine has IPv6, all IPv6 ones. :: asks for both families; any other address listens there alone.",
            HelpName = "ADDRESS",
        };
        var apiPort = new Option<int?>("--api-port")
        {
            Description = "Port of the API on 127.0.0.1 (0 picks a free one; the node prints it). Overrides the port of --api.",
            HelpName = "A",
        };
        var btPort = new Option<int?>("--bt-port")
        {
            Description = "BitTorrent peer port (TCP; 0 picks a free one). Default: the 'bt_port' setting, else 6881.",
            HelpName = "Q",
        };
        var btBootstrap = new Option<string[]>("--bt-bootstrap")
        {
            Description = "A Mainline DHT node to join through (repeatable). None by default: the node never contacts a public router unless you name one.",
            HelpName = "HOST:PORT",
            AllowMultipleArgumentsPerToken = false,
        };
        var btEncryption = new Option<string?>("--bt-encryption")
        {
            Description = "BitTorrent protocol encryption: prefer, require or disable. Default: the 'bt_encryption' setting, else prefer.",
            HelpName = "MODE",
        };
        var btTransport = new Option<string?>("--bt-transport")
        {
            Description = "How BitTorrent peers are reached and accepted: both (uTP first, then TCP), tcp or utp. Default: the 'bt_transport' setting, else both.",
            HelpName = "MODE",
        };
        var noBtDht = new Option<bool>("--no-bt-dht")
        {
            Description = "Do not run the Mainline DHT (torrents then find peers through trackers, PEX and magnet x.pe only).",
        };
        var noLocalDiscovery = new Option<bool>("--no-local-discovery")
        {
            Description = "Do not look for peers on the LAN by multicast (BEP 14 for torrents, its LBRY equivalent for streams).",
        };
        var noPortMapping = new Option<bool>("--no-port-mapping")
        {
            Description = "Do not ask the home router to forward the node's ports (PCP, NAT-PMP, UPnP). Default: the 'port_mapping' setting, else on.",
        };
        var downloadDirectory = new Option<string?>("--download-dir")
        {
            Description = "Folder downloads are written to. Default: the 'download_dir' setting, else ~/Downloads.",
            HelpName = "DIR",
        };
        var advertise = new Option<string[]>("--advertise")
        {
            Description = "An address receivers reach this node at, named in every share's .smartshare file and magnet (repeatable; the port defaults to each network's own). Overrides the router's mapped address, the voted external address and the LAN addresses. Default: the 'advertise' setting, else those.",
            HelpName = "HOST[:PORT]",
            AllowMultipleArgumentsPerToken = false,
        };
        var recoverDatabase = new Option<bool>("--recover-db")
        {
            Description = "If smartshare.db is damaged, move it aside (smartshare.db.damaged-TIME, kept) and start with a new one; the blob index is rebuilt from the blob folder, the transfers it listed must be added again. Without it a damaged database stops the start.",
        };
        var command = new Command("start", "Run the node in the foreground (LBRY DHT on UDP --port, API on --api) until Ctrl-C or `smartshare stop`.");
        dht.AddTo(command);
        command.Options.Add(bind);
        command.Options.Add(apiPort);
        command.Options.Add(btPort);
        command.Options.Add(btBootstrap);
        command.Options.Add(btEncryption);
        command.Options.Add(btTransport);
        command.Options.Add(noBtDht);
        command.Options.Add(noLocalDiscovery);
        command.Options.Add(noPortMapping);
        command.Options.Add(downloadDirectory);
        command.Options.Add(advertise);
        command.Options.Add(recoverDatabase);
        command.SetAction(CommandContext.Action(async (context, cancellationToken) =>
        {
            var parse = context.Parse;
            var flags = new Dictionary<string, JsonNode?>();
            if (Given(parse, dht.Port))
            {
                flags[NodeSettingKeys.Port] = dht.PortValue(parse);
            }

            if (parse.GetValue(dht.Bootstrap) is { Length: > 0 } bootstrap)
            {
                flags[NodeSettingKeys.Bootstrap] = new JsonArray([.. bootstrap.Select(item => (JsonNode?)JsonValue.Create(item))]);
            }

            if (Given(parse, dht.AllowLan))
            {
                flags[NodeSettingKeys.AllowLan] = parse.GetValue(dht.AllowLan);
            }

            if (parse.GetValue(bind) is { } address)
            {
                flags[NodeSettingKeys.BindAddress] = address;
            }

            if (parse.GetValue(btPort) is { } bt)
            {
                if (bt is < 0 or > 65535)
                {
                    throw new FormatException($"--bt-port must be from 0 to 65535, not {bt}.");
                }

                flags[NodeSettingKeys.BtPort] = bt;
            }

            if (parse.GetValue(btBootstrap) is { Length: > 0 } btNodes)
            {
                flags[NodeSettingKeys.BtBootstrap] = new JsonArray([.. btNodes.Select(item => (JsonNode?)JsonValue.Create(item))]);
            }

            if (parse.GetValue(btEncryption) is { } encryption)
            {
                flags[NodeSettingKeys.BtEncryption] = encryption;
            }

            if (parse.GetValue(btTransport) is { } transport)
            {
                flags[NodeSettingKeys.BtTransport] = transport;
            }

            if (parse.GetValue(noBtDht))
            {
                flags[NodeSettingKeys.BtDht] = false;
            }

            if (parse.GetValue(advertise) is { Length: > 0 } advertised)
            {
                flags[NodeSettingKeys.Advertise] = new JsonArray([.. advertised.Select(item => (JsonNode?)JsonValue.Create(item))]);
            }

            if (parse.GetValue(noLocalDiscovery))
            {
                flags[NodeSettingKeys.LocalDiscovery] = false;
            }

            if (parse.GetValue(noPortMapping))
            {
                flags[NodeSettingKeys.PortMapping] = false;
            }

            if (parse.GetValue(downloadDirectory) is { } downloads)
            {
                flags[NodeSettingKeys.DownloadDirectory] = Path.GetFullPath(downloads);
            }

            if (ApiFlag(parse, apiPort) is { } api)
            {
                flags[NodeSettingKeys.Api] = api;
            }

            var settings = NodeSettingsStore.Load(context.DataDirectory, flags);
            await using var host = new NodeHost(new NodeHostOptions
            {
                DataDirectory = context.DataDirectory,
                Settings = settings,
                ConsoleLogging = true,
                RecordNodeFile = true,
                Verbose = context.Output.IsVerbose,
                RecoverDatabase = parse.GetValue(recoverDatabase),
                WarmUp = true,
            });
            await host.StartAsync(cancellationToken);
            if (host.RecoveredDatabase is { } aside)
            {
                context.Output.Info($"The damaged database was moved to {aside}; the node started with a new one (blobs re-indexed from the blob folder; add the transfers again).");
            }

            context.Output.Info("Press Ctrl-C or run `smartshare stop` to stop the node.");

            // Ctrl-C (the token) and the API's stop method both end here, after a clean shutdown.
            await host.WaitForShutdownAsync(cancellationToken);

            var contacts = host.Dht.Engine.RoutingTable.Count;
            context.Output.Succeed(
                $"Stopped the node; {contacts} DHT contacts saved for the next start.",
                new JsonObject
                {
                    ["stopped"] = true,
                    ["api"] = host.ApiUri.GetLeftPart(UriPartial.Authority),
                    ["udp_port"] = host.DhtEndPoint.Port,
                    ["node_id"] = host.Dht.Engine.Id.ToString(),
                    ["contacts"] = contacts,
                    ["announced"] = host.Announcer.AnnouncedStreams,
                });
            return ExitCodes.Success;
        }));
        return command;
    }

    /// <summary>The api setting from --api and --api-port, or null when neither was given.</summary>
    private static string? ApiFlag(ParseResult parse, Option<int?> apiPort)
    {
        var url = parse.GetValue(GlobalOptions.Api);
        var port = parse.GetValue(apiPort);
        if (url is null && port is null)
        {
            return null;
        }

        var builder = new UriBuilder(GlobalOptions.ParseApiUrl(url ?? Node.NodeInfo.DefaultApiUrl));
        if (port is { } chosen)
        {
            builder.Port = chosen is >= 0 and <= 65535 ? chosen : throw new FormatException($"--api-port must be from 0 to 65535, not {chosen}.");
        }

        return builder.Uri.GetLeftPart(UriPartial.Authority);
    }

    private static bool Given(ParseResult parse, Option option) => parse.GetResult(option) is { Implicit: false };
}
