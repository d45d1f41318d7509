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
    private static readonly TimeSpan DefaultLookFor = TimeSpan.FromSeconds(60);

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
        var lookFor = new Option<int>("--timeout")
        {
            Description = "How long to look for a target nobody is found to have (no descriptor or metadata yet) before giving up and removing the entry this created. Default: 60.",
            HelpName = "SECONDS",
            DefaultValueFactory = _ => (int)DefaultLookFor.TotalSeconds,
        };
        var keepTrying = new Option<bool>("--keep-trying", "--keep")
        {
            Description = "Never give up looking: restart the search when the node gives up, and keep the entry if this command is stopped.",
        };
        var files = new Option<string?>("--files")
        {
            Description = "For a torrent: download only these files, by index from 0 as `smartshare files` lists them (e.g. 0,2-5); the others are not created. For a magnet it applies once the metadata arrives.",
            HelpName = "INDEXES",
        };
        var skip = new Option<string?>("--skip")
        {
            Description = "For a torrent: do not download these files (same form as --files).",
            HelpName = "INDEXES",
        };
        var dht = new DhtOptions(defaultPort: 0);
        var command = new Command("get", "Download a stream or torrent (through the running node, or a node in this process) and print where it was saved.")
        {
            target,
            downloadDir,
            peers,
            bittorrent,
            btBootstrap,
            lookFor,
            keepTrying,
            files,
            skip,
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

            var selection = Selection(context.Parse.GetValue(files), context.Parse.GetValue(skip), stream is not null);
            var flags = Flags(context.Parse, dht, directory, dht.BootstrapEndPoints(context.Parse), context.Parse.GetValue(btBootstrap) ?? []);
            await using var node = await NodeConnection.OpenAsync(context, NodeUse.Download, flags, cancellationToken);
            var watch = Stopwatch.StartNew();
            if (stream is not null && selection.Count == 0 && await FromStoreAsync(context, node, uri, stream, directory, fixedPeers.Count > 0, watch, cancellationToken) is { } saved)
            {
                return saved;
            }

            var seconds = context.Parse.GetValue(lookFor);
            if (seconds < 1)
            {
                throw new FormatException($"--timeout must be at least 1 second, not {seconds}.");
            }

            var waiting = new Waiting(TimeSpan.FromSeconds(seconds), context.Parse.GetValue(keepTrying));
            return await DownloadAsync(context, node, uri, directory, fixedPeers, waiting, watch, cancellationToken, selection);
        }));
        return command;
    }

    // --files and --skip, checked here (bad input before any node starts) and passed to the node's get as written.
    private static JsonObject Selection(string? files, string? skip, bool isStream)
    {
        var parameters = new JsonObject();
        foreach (var (value, option, name) in new[] { (files, "--files", "files"), (skip, "--skip", "skip") })
        {
            if (value is null)
            {
                continue;
            }

            if (isStream)
            {
                throw new FormatException($"{option} is for torrents; an LBRY stream is a single file.");
            }

            parameters[name] = Node.Torrents.FileSelectionRequest.Format(Node.Torrents.FileSelectionRequest.Parse(value, option));
        }

        return parameters;
    }

    private static Dictionary<string, JsonNode?> Flags(ParseResult parse, DhtOptions dht, string? directory, IReadOnlyList<IPEndPoint> bootstrap, string[] btBootstrap)
    {
        // A node run for one download takes free ports unless told otherwise, so it never collides with a node
        // started later; it opens no API port at all, since only this command calls it (in process).
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

    // Whether the node can look the stream up at all: DHT contacts now, saved ones, a bootstrap node, or the LAN (local discovery).
    private static async Task<bool> ReachesDhtAsync(NodeConnection node, CancellationToken cancellationToken)
    {
        var status = await node.Api.CallAsync("status", cancellationToken: cancellationToken);
        var dht = status?["dht"];
        return (status?["local_discovery"]?["groups"] as JsonArray)?.Count > 0
            || (dht?["contacts"]?.GetValue<int>() ?? 0) > 0
            || (dht?["saved_contacts"]?.GetValue<int>() ?? 0) > 0
            || (dht?["bootstrap"]?.GetValue<int>() ?? 0) > 0;
    }

    /// <summary>
    /// The node downloads the target (<c>get</c>, answered at once); this follows it in <c>file_list</c> until it is
    /// complete. While nothing is found it says what the node tries and for how long; on giving up it removes the entry
    /// this command created, unless asked to keep trying.
    /// </summary>
    private static async Task<int> DownloadAsync(
        CommandContext context, NodeConnection node, string uri, string? directory, List<IPEndPoint> peers, Waiting waiting, Stopwatch watch, CancellationToken cancellationToken,
        JsonObject? selection = null)
    {
        var parameters = new JsonObject
        {
            ["uri"] = uri,
            ["peers"] = new JsonArray([.. peers.Select(peer => (JsonNode?)JsonValue.Create(peer.ToString()))]),

            // Answer once under way, not after a wait for the descriptor: the waiting is shown here.
            ["timeout"] = 1,
        };
        if (directory is not null)
        {
            parameters["download_directory"] = directory;
        }

        foreach (var (name, value) in selection ?? [])
        {
            parameters[name] = value?.DeepClone();
        }

        var added = await node.Api.CallAsync("get", parameters, cancellationToken);
        var key = added?["key"]?.GetValue<string>() ?? added?["sd_hash"]?.GetValue<string>() ?? added?["info_hash"]?.GetValue<string>()
            ?? throw new StreamDownloadException("The node did not say which transfer it added.");
        var isTorrent = added?["type"]?.GetValue<string>() == "torrent";
        // Only what this get created is removed when it gives up (a node that does not say: nothing is).
        var created = added?["created"]?.GetValue<bool>() ?? false;
        try
        {
            var file = await FollowAsync(context, node, key, waiting, cancellationToken);
            return isTorrent ? SucceedTorrent(context, file, watch.Elapsed) : Succeed(context, BlobHash.Parse(key), file, watch.Elapsed);
        }
        catch (GaveUpException ex)
        {
            var removed = created && !waiting.KeepTrying && await RemoveAsync(node, key);
            var what = created
                ? removed ? " The entry it created was removed." : " The entry stays in `smartshare list` (`smartshare remove` drops it)."
                : " It was listed before this command, so it stays listed.";
            throw new StreamDownloadException(ex.Message + what, ex);
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

    private static async Task<int> DhtContactsAsync(NodeConnection node, CancellationToken cancellationToken) =>
        (await node.Api.CallAsync("status", cancellationToken: cancellationToken))?["dht"]?["contacts"]?.GetValue<int>() ?? 0;

    // The give-up path runs after Ctrl-C too, so it does not take the command's token.
    private static async Task<bool> RemoveAsync(NodeConnection node, string key)
    {
        try
        {
            return (await node.Api.CallAsync("file_delete", new JsonObject { ["key"] = key }, CancellationToken.None))?.GetValue<bool>() ?? false;
        }
        catch (NodeApiException)
        {
            return false;
        }
    }

    /// <summary>
    /// Shows the transfer's progress until it is complete. While it is still looking (no descriptor or metadata), the
    /// line says what the node has tried and how long this will keep trying; past the limit, or when the node gives up
    /// on a target it never found, it throws <see cref="GaveUpException"/> (unless keeping on). Other failures throw their reason.
    /// </summary>
    private static Task<JsonObject> FollowAsync(
        CommandContext context, NodeConnection node, string hash, Waiting waiting, CancellationToken cancellationToken) =>
        context.Output.WithTransferAsync($"Looking for {hash[..12]}…", async display =>
        {
            var started = Stopwatch.StartNew();
            var pace = new FollowPace(PollInterval);

            // Asked for only while a stream is still looked for: a transfer under way (and a torrent) never says it.
            int? dhtContacts = null;
            async Task<string> TriedAsync(JsonObject file)
            {
                if (file["type"]?.GetValue<string>() != "torrent")
                {
                    dhtContacts ??= await DhtContactsAsync(node, cancellationToken);
                }

                return Tried(file, dhtContacts ?? 0);
            }
            while (true)
            {
                // Progress only: a torrent's files (up to 100,000) are left out of each poll.
                var list = await node.Api.CallAsync("file_list", new JsonObject { ["key"] = hash, ["files_limit"] = 0 }, cancellationToken);
                var file = list?["items"]?.AsArray().FirstOrDefault() as JsonObject
                    ?? throw new StreamDownloadException($"The node no longer lists {hash}; was it removed?");
                var status = file["status"]?.GetValue<string>();
                var state = file["state"]?.GetValue<string>();
                // Still looking: nothing is known of the content yet (no descriptor or metadata, nothing held).
                var looking = state is "queued" or "fetching_metadata"
                    || (file["progress"]?["bytes_total"] is null && (file["progress"]?["bytes_have"]?.GetValue<long>() ?? 0) == 0);
                var tried = looking ? await TriedAsync(file) : null;
                switch (status)
                {
                    case "completed":
                        return file;
                    case "failed" or "stopped" when looking && waiting.KeepTrying:
                        await node.Api.CallAsync("file_set_status", new JsonObject { ["key"] = hash, ["status"] = "start" }, cancellationToken);
                        break;
                    case "failed" when looking:
                        throw new GaveUpException($"Gave up looking for {hash} after {Sizes.Seconds(started.Elapsed)}: {tried}. {file["error"]?.GetValue<string>()}".TrimEnd());
                    case "stopped" when Storage.DiskErrors.TryGetPausedFolder(file["error"]?.GetValue<string>(), out _):
                        // A full disk paused it: the node goes on by itself once there is room, and this follows it.
                        display.Update(file["error"]!.GetValue<string>(), file["bytes_have"]?.GetValue<long>() ?? 0, file["bytes_total"]?.GetValue<long>() ?? 0);
                        await Task.Delay(PollInterval, cancellationToken);
                        continue;
                    case "failed" or "stopped":
                        throw new StreamDownloadException(file["error"]?.GetValue<string>() ?? $"The download of {hash} {status}.");
                }

                if (looking && !waiting.KeepTrying && started.Elapsed >= waiting.Limit)
                {
                    throw new GaveUpException($"Gave up looking for {hash} after {Sizes.Seconds(started.Elapsed)} (--timeout {waiting.Limit.TotalSeconds:0}): {tried}; nobody sent its {(file["type"]?.GetValue<string>() == "torrent" ? "metadata" : "descriptor")}.");
                }

                var name = file["stream_name"]?.GetValue<string>() ?? file["name"]?.GetValue<string>() ?? $"{hash[..12]}…";
                var peers = file["progress"]?["peers_connected"]?.GetValue<int>() ?? file["active_peers"]?.GetValue<int>() ?? 0;
                var left = waiting.KeepTrying ? "until found (--keep-trying)" : $"{Math.Max(0, (waiting.Limit - started.Elapsed).TotalSeconds):0} s left";
                var (have, total) = (file["bytes_have"]?.GetValue<long>() ?? 0, file["bytes_total"]?.GetValue<long>() ?? 0);
                display.Update(
                    looking
                        ? string.Create(CultureInfo.InvariantCulture, $"Looking for {name} · {(int)started.Elapsed.TotalSeconds} s, {left} · {tried}")
                        : string.Create(CultureInfo.InvariantCulture, $"{name} · {peers} peer{(peers == 1 ? string.Empty : "s")}"),
                    have,
                    total);
                await Task.Delay(pace.Next(started.Elapsed, have, total), cancellationToken);
            }
        });

    /// <summary>What the node has tried for a target it is still looking for, in words.</summary>
    private static string Tried(JsonObject file, int dhtContacts)
    {
        var search = file["search"] as JsonObject;
        var lookups = Count(search?["dht_lookups"]?.GetValue<int>() ?? 0, "DHT lookup");
        var found = search?["peers_found"]?.GetValue<int>() ?? 0;
        if (file["type"]?.GetValue<string>() == "torrent")
        {
            // A magnet's fetch: the Mainline DHT's lookups, peers known from every source, the metadata's pieces.
            var parts = new List<string>
            {
                lookups,
                $"{Count(found, "peer")} known",
                $"{search?["peers_connected"]?.GetValue<int>() ?? 0} connected",
            };
            if (search?["metadata_pieces_total"]?.GetValue<int>() is > 0 and var pieces)
            {
                parts.Add($"metadata {search["metadata_pieces_have"]?.GetValue<int>() ?? 0}/{pieces} pieces of {Sizes.Format(search["metadata_size"]?.GetValue<int>() ?? 0)}");
            }

            return string.Join(", ", parts);
        }

        // A stream: the LBRY DHT's lookups (the contact count is status.dht's), then the download's own peers.
        var known = file["progress"]?["peers_known"]?.GetValue<int>() ?? 0;
        var connected = file["progress"]?["peers_connected"]?.GetValue<int>() ?? 0;
        return $"{lookups} through {Count(dhtContacts, "DHT contact")}, {Count(found, "peer")} found in the DHT, {Count(known, "peer")} known, {connected} connected";
    }

    private static string Count(int count, string what) =>
        string.Create(CultureInfo.InvariantCulture, $"{count} {what}{(count == 1 ? string.Empty : "s")}");

    private static int FileCount(JsonObject file) => file["file_count"]?.GetValue<int>() ?? (file["files"] is JsonArray files ? files.Count : 1);

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
            ["files"] = FileCount(file),
            ["seconds"] = Math.Round(elapsed.TotalSeconds, 3),
        };
        var count = FileCount(file);
        var wanted = file["wanted_files"]?.GetValue<int>() ?? count;
        result["wanted_files"] = wanted;
        var which = wanted < count
            ? $"{Count(wanted, "file")} of {count} ({Sizes.Format(file["size_when_done"]?.GetValue<long>() ?? size)} of {Sizes.Format(size)}) of {Path.GetFileName(path)}"
            : $"{Path.GetFileName(path)} ({Sizes.Format(size)})";
        context.Output.Succeed($"Saved {which} to {path} in {Sizes.Seconds(elapsed)}, every piece verified.", result);
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

/// <summary>How long <c>get</c> looks for a target nobody is found to have, and whether it keeps on past that.</summary>
internal sealed record Waiting(TimeSpan Limit, bool KeepTrying);

/// <summary><c>get</c> stopped looking for a target nobody was found to have (the message says what it tried).</summary>
internal sealed class GaveUpException(string message) : Exception(message);
