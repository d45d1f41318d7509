using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using SmartShare.Cli.Output;
using SmartShare.Lbry.Blobs;
using SmartShare.Lbry.Downloads;
using SmartShare.Node.Client;
using SmartShare.Node.Downloads;
using SmartShare.Node.Settings;
using SmartShare.Node.Torrents;

namespace SmartShare.Cli.Commands;

/// <summary>
/// <c>smartshare get TARGET</c>: downloads a stream or torrent and saves its file, through a node's API: the running
/// node, or a one-off node in this process until the file is complete. A stream whose blobs the node holds is written
/// from its store (<c>file_save</c>), as is any stream when no peer can be reached; otherwise the node downloads it
/// (<c>get</c>) and this command follows its progress (<c>file_list</c>).
/// </summary>
internal static class GetCommand
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    public static Command Create()
    {
        var target = new Argument<string>("TARGET") { Description = "An sd hash (96 hex digits), a .smartshare file, a smartshare: link, a magnet link, or a .torrent file (path or http URL)." };
        var downloadDir = new Option<string?>("--download-dir")
        {
            Description = "Folder to save into. Default: the node's download_dir setting, else ~/Downloads.",
            HelpName = "DIR",
        };
        var peers = new Option<string[]>("--peer")
        {
            Description = "A peer to download from besides those the DHT or trackers find (repeatable): its blob-exchange address, or for a torrent its BitTorrent address.",
            HelpName = "IP:PORT",
        };
        var bittorrent = new Option<bool>("--bittorrent")
        {
            Description = "For a .smartshare file or link that also names a torrent: download the torrent (from the creator's peers and the Mainline DHT) instead of the LBRY stream.",
        };
        var btBootstrap = new Option<string[]>("--bt-bootstrap")
        {
            Description = "A Mainline DHT node to join through for magnet links (repeatable), when no node is running. Default: the 'bt_bootstrap' setting.",
            HelpName = "HOST:PORT",
        };
        var dht = new DhtOptions(defaultPort: 0);
        var command = new Command("get", "Download a stream or torrent (through the running node, or a node in this process) and print where it was saved.")
        {
            target,
            downloadDir,
            peers,
            bittorrent,
            btBootstrap,
        };
        dht.AddTo(command);
        command.SetAction(CommandContext.Action(async (context, cancellationToken) =>
        {
            var text = context.Parse.GetValue(target)!;
            var directory = context.Parse.GetValue(downloadDir) is { } chosen ? Path.GetFullPath(chosen) : null;
            var fixedPeers = (context.Parse.GetValue(peers) ?? []).Select(peer => HostPort.Parse(peer, "--peer")).ToList();

            // Read here, before any node is involved, so a bad target is bad input. The node reads files itself, so it
            // gets their paths as seen from here.
            string uri;
            DownloadTarget? stream = null;
            if (TorrentSource.IsTorrent(text))
            {
                var isMagnet = TorrentSource.IsMagnet(text);
                if (isMagnet)
                {
                    SmartShare.BitTorrent.MagnetLink.Parse(text.Trim());
                }

                uri = !isMagnet && File.Exists(text) ? Path.GetFullPath(text) : text.Trim();
            }
            else
            {
                var resolved = await DownloadTarget.ResolveAsync(text, TimeProvider.System, cancellationToken);
                if (context.Parse.GetValue(bittorrent))
                {
                    uri = await resolved.MagnetAsync(TimeProvider.System, cancellationToken)
                        ?? throw new FormatException($"The share '{resolved.Name}' has no torrent form (it was not shared with --torrent); get it without --bittorrent to use LBRY.");
                }
                else
                {
                    uri = File.Exists(text) ? Path.GetFullPath(text) : text.Trim();
                    stream = resolved;
                }
            }

            var flags = Flags(context.Parse, dht, directory, dht.BootstrapEndPoints(context.Parse), context.Parse.GetValue(btBootstrap) ?? []);
            await using var node = await NodeConnection.OpenAsync(context, NodeUse.Download, flags, cancellationToken);
            var watch = Stopwatch.StartNew();
            if (stream is not null && await FromStoreAsync(context, node, uri, stream, directory, fixedPeers.Count > 0, watch, cancellationToken) is { } saved)
            {
                return saved;
            }

            return await DownloadAsync(context, node, uri, directory, fixedPeers, watch, cancellationToken);
        }));
        return command;
    }

    private static Dictionary<string, JsonNode?> Flags(ParseResult parse, DhtOptions dht, string? directory, IReadOnlyList<IPEndPoint> bootstrap, string[] btBootstrap)
    {
        // A node run for one download takes free ports unless told otherwise, so it never collides with a node
        // started later; its API stays on a free loopback port too, since only this command calls it.
        var flags = new Dictionary<string, JsonNode?>
        {
            [NodeSettingKeys.Port] = dht.PortValue(parse),
        };
        if (bootstrap.Count > 0)
        {
            flags[NodeSettingKeys.Bootstrap] = new JsonArray([.. bootstrap.Select(endPoint => (JsonNode?)JsonValue.Create(endPoint.ToString()))]);
        }

        if (btBootstrap.Length > 0)
        {
            flags[NodeSettingKeys.BtBootstrap] = new JsonArray([.. btBootstrap.Select(item => (JsonNode?)JsonValue.Create(item))]);
        }

        if (parse.GetValue(dht.AllowLan))
        {
            flags[NodeSettingKeys.AllowLan] = true;
        }

        if (directory is not null)
        {
            flags[NodeSettingKeys.DownloadDirectory] = directory;
        }

        return flags;
    }

    /// <summary>
    /// A stream the node can give without the network: one it downloaded before (its file), or one whose blobs are all
    /// in its store (a fresh copy, <c>file_save</c>). Null when blobs are missing and some peer may have them; a missing
    /// blob with no peer to ask fails here.
    /// </summary>
    private static async Task<int?> FromStoreAsync(
        CommandContext context, NodeConnection node, string uri, DownloadTarget stream, string? directory, bool peersGiven, Stopwatch watch, CancellationToken cancellationToken)
    {
        var sdHash = stream.SdHash;
        var listed = await node.Api.CallAsync("file_list", new JsonObject { ["sd_hash"] = sdHash.ToString() }, cancellationToken);
        if (listed?["items"]?.AsArray().FirstOrDefault() is JsonObject known
            && known["kind"]?.GetValue<string>() == "download"
            && known["status"]?.GetValue<string>() == "completed"
            && known["download_path"]?.GetValue<string>() is { } existing
            && File.Exists(existing))
        {
            return Succeed(context, sdHash, known, watch.Elapsed);
        }

        var parameters = new JsonObject { ["uri"] = uri };
        if (directory is not null)
        {
            parameters["download_directory"] = directory;
        }

        try
        {
            var saved = await context.Output.WithSpinnerAsync(
                $"Rebuilding {stream.Name ?? sdHash.ToString()[..12]}",
                () => node.Api.CallAsync("file_save", parameters, cancellationToken));
            return Succeed(context, sdHash, saved as JsonObject ?? throw new NodeApiException("The node answered file_save with nothing."), watch.Elapsed);
        }
        catch (NodeApiException ex) when (ex.Kind == "missing_blob")
        {
            if (peersGiven || stream.Peers.Count > 0 || stream.DhtContacts.Count > 0 || await ReachesDhtAsync(node, cancellationToken))
            {
                return null;
            }

            var hint = node.IsOneOff
                ? " No node is running and no peer can be reached: start one with `smartshare start`, or give --peer or --bootstrap."
                : " The node knows no DHT contact and no peer was given: give --peer, or a bootstrap node to the node.";
            throw new NodeApiException(ex.Code, ex.Message + hint) { Kind = ex.Kind };
        }
    }

    // Whether the node can look the stream up at all: DHT contacts now, saved ones, or a bootstrap node.
    private static async Task<bool> ReachesDhtAsync(NodeConnection node, CancellationToken cancellationToken)
    {
        var dht = (await node.Api.CallAsync("status", cancellationToken: cancellationToken))?["dht"];
        return (dht?["contacts"]?.GetValue<int>() ?? 0) > 0
            || (dht?["saved_contacts"]?.GetValue<int>() ?? 0) > 0
            || (dht?["bootstrap"]?.GetValue<int>() ?? 0) > 0;
    }

    /// <summary>The node downloads the target (<c>get</c>); this follows it in <c>file_list</c> until it is complete.</summary>
    private static async Task<int> DownloadAsync(
        CommandContext context, NodeConnection node, string uri, string? directory, List<IPEndPoint> peers, Stopwatch watch, CancellationToken cancellationToken)
    {
        var parameters = new JsonObject
        {
            ["uri"] = uri,
            ["peers"] = new JsonArray([.. peers.Select(peer => (JsonNode?)JsonValue.Create(peer.ToString()))]),
        };
        if (directory is not null)
        {
            parameters["download_directory"] = directory;
        }

        var added = await node.Api.CallAsync("get", parameters, cancellationToken);
        var key = added?["key"]?.GetValue<string>() ?? added?["sd_hash"]?.GetValue<string>() ?? added?["info_hash"]?.GetValue<string>()
            ?? throw new StreamDownloadException("The node did not say which transfer it added.");
        var isTorrent = added?["type"]?.GetValue<string>() == "torrent";
        try
        {
            var file = await FollowAsync(context, key, async token =>
            {
                var list = await node.Api.CallAsync("file_list", new JsonObject { ["key"] = key }, token);
                return list?["items"]?.AsArray().FirstOrDefault() as JsonObject
                    ?? throw new StreamDownloadException($"The node no longer lists {(isTorrent ? "torrent " : string.Empty)}{key}; was it deleted?");
            }, cancellationToken);
            return isTorrent ? SucceedTorrent(context, file, watch.Elapsed) : Succeed(context, BlobHash.Parse(key), file, watch.Elapsed);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            context.Output.Fail(
                node.IsOneOff
                    ? $"Stopped; the {(isTorrent ? "pieces verified" : "blobs fetched")} so far are kept, and `get` again (or `smartshare start`) resumes the download."
                    : $"Stopped following; the node goes on downloading {(isTorrent ? "torrent " : string.Empty)}{key} (`smartshare list` shows it).",
                "cancelled");
            return ExitCodes.Cancelled;
        }
    }

    /// <summary>Shows the file's progress until it is complete; a failed or stopped download throws its reason.</summary>
    private static Task<JsonObject> FollowAsync(
        CommandContext context, string hash, Func<CancellationToken, Task<JsonObject>> poll, CancellationToken cancellationToken) =>
        context.Output.WithTransferAsync($"Looking for {hash[..12]}…", async display =>
        {
            while (true)
            {
                var file = await poll(cancellationToken);
                var status = file["status"]?.GetValue<string>();
                switch (status)
                {
                    case "completed":
                        return file;
                    case "failed" or "stopped":
                        throw new StreamDownloadException(file["error"]?.GetValue<string>() ?? $"The download of {hash} {status}.");
                }

                var name = file["stream_name"]?.GetValue<string>() ?? $"{hash[..12]}…";
                var peers = file["active_peers"]?.GetValue<int>() ?? 0;
                display.Update(
                    status == "metadata"
                        ? $"{name} · fetching metadata from peers"
                        : string.Create(CultureInfo.InvariantCulture, $"{name} · {peers} peer{(peers == 1 ? string.Empty : "s")}"),
                    file["bytes_have"]?.GetValue<long>() ?? 0,
                    file["bytes_total"]?.GetValue<long>() ?? 0);
                await Task.Delay(PollInterval, cancellationToken);
            }
        });

    private static int SucceedTorrent(CommandContext context, JsonObject file, TimeSpan elapsed)
    {
        var path = file["download_path"]?.GetValue<string>() ?? throw new StreamDownloadException("The torrent completed without a path.");
        var size = file["bytes_total"]?.GetValue<long>() ?? 0;
        var result = new JsonObject
        {
            ["path"] = path,
            ["info_hash"] = file["info_hash"]?.GetValue<string>(),
            ["name"] = Path.GetFileName(path),
            ["size"] = size,
            ["files"] = file["files"] is JsonArray files ? files.Count : 1,
            ["seconds"] = Math.Round(elapsed.TotalSeconds, 3),
        };
        context.Output.Succeed($"Saved {Path.GetFileName(path)} ({Sizes.Format(size)}) to {path} in {Sizes.Seconds(elapsed)}, every piece verified.", result);
        return ExitCodes.Success;
    }

    private static int Succeed(CommandContext context, BlobHash sdHash, JsonObject file, TimeSpan elapsed)
    {
        var path = file["download_path"]?.GetValue<string>() ?? throw new StreamDownloadException($"The download of {sdHash} completed without a file.");
        var size = new FileInfo(path).Length;
        var result = new JsonObject
        {
            ["path"] = path,
            ["sd_hash"] = sdHash.ToString(),
            ["name"] = Path.GetFileName(path),
            ["size"] = size,
            ["seconds"] = Math.Round(elapsed.TotalSeconds, 3),
        };
        if (file["blobs_in_stream"]?.GetValue<int>() is { } blobs)
        {
            result["blobs"] = blobs;
        }

        context.Output.Succeed($"Saved {Path.GetFileName(path)} ({Sizes.Format(size)}) to {path} in {Sizes.Seconds(elapsed)}, verified.", result);
        return ExitCodes.Success;
    }
}
