using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using SmartShare.Cli.Output;
using SmartShare.Lbry;
using SmartShare.Lbry.Blobs;
using SmartShare.Lbry.Downloads;
using SmartShare.Lbry.Streams;
using SmartShare.Node.Client;
using SmartShare.Node.Downloads;
using SmartShare.Node.Hosting;
using SmartShare.Node.Settings;
using SmartShare.Node.Torrents;

namespace SmartShare.Cli.Commands;

/// <summary>
/// <c>smartshare get SD_HASH</c>: downloads a stream and saves its file. With a node running, the node downloads
/// it and this command follows the progress; with none, a node runs in this process until the file is complete.
/// With no way to reach peers at all (no node, no --peer, no bootstrap, no saved contacts) the file is rebuilt
/// from the local store alone.
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
            var btNodes = context.Parse.GetValue(btBootstrap) ?? [];
            if (TorrentSource.IsTorrent(text))
            {
                return await TorrentAsync(context, dht, text, context.Parse.GetValue(downloadDir), context.Parse.GetValue(peers) ?? [], btNodes, cancellationToken);
            }

            var resolved = await DownloadTarget.ResolveAsync(text, TimeProvider.System, cancellationToken);
            if (context.Parse.GetValue(bittorrent))
            {
                var magnet = await resolved.MagnetAsync(TimeProvider.System, cancellationToken)
                    ?? throw new FormatException($"The share '{resolved.Name}' has no torrent form (it was not shared with --torrent); get it without --bittorrent to use LBRY.");
                return await TorrentAsync(context, dht, magnet, context.Parse.GetValue(downloadDir), context.Parse.GetValue(peers) ?? [], btNodes, cancellationToken);
            }

            var sdHash = resolved.SdHash;
            var directory = context.Parse.GetValue(downloadDir) is { } chosen ? Path.GetFullPath(chosen) : null;
            var fixedPeers = (context.Parse.GetValue(peers) ?? []).Select(text => HostPort.Parse(text, "--peer")).ToList();
            var bootstrap = dht.BootstrapEndPoints(context.Parse);

            using var api = context.CreateApiClient();
            if (await api.IsRunningAsync(cancellationToken))
            {
                // The node reads the file itself, so it gets the path as seen from here.
                var uri = File.Exists(text) ? Path.GetFullPath(text) : text.Trim();
                return await ThroughNodeAsync(context, api, uri, sdHash, directory, fixedPeers, cancellationToken);
            }

            var settings = NodeSettingsStore.Load(context.DataDirectory, Flags(context.Parse, dht, directory, bootstrap));
            var storage = context.OpenStorage(cancellationToken);
            if (resolved.SdBlob is { } sdBlob && storage.Blobs.TryGetLength(sdHash) is null)
            {
                storage.Blobs.AddVerified(sdHash, sdBlob);
            }

            var reachable = fixedPeers.Count > 0 || resolved.Peers.Count > 0 || resolved.DhtContacts.Count > 0 ||
                            settings.Current.Bootstrap.Count > 0 || storage.Contacts.Load().Count > 0;
            if (!reachable || HoldsWholeStream(storage, sdHash))
            {
                return await FromLocalStoreAsync(context, storage, sdHash, directory ?? settings.Current.DownloadDirectory, reachable, cancellationToken);
            }

            return await InProcessAsync(context, settings, storage, resolved, directory, [.. fixedPeers, .. resolved.Peers], cancellationToken);
        }));
        return command;
    }

    private static Dictionary<string, JsonNode?> Flags(ParseResult parse, DhtOptions dht, string? directory, IReadOnlyList<IPEndPoint> bootstrap)
    {
        // A node run for one download takes a free port unless told otherwise, so it never collides with a node
        // started later; its API stays on a free loopback port too, since nothing calls it.
        var flags = new Dictionary<string, JsonNode?>
        {
            [NodeSettingKeys.Port] = dht.PortValue(parse),
            [NodeSettingKeys.BtPort] = 0,
            [NodeSettingKeys.Api] = "http://127.0.0.1:0",
        };
        if (bootstrap.Count > 0)
        {
            flags[NodeSettingKeys.Bootstrap] = new JsonArray([.. bootstrap.Select(endPoint => (JsonNode?)JsonValue.Create(endPoint.ToString()))]);
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

    private static bool HoldsWholeStream(LbryStorage storage, BlobHash sdHash)
    {
        if (storage.Blobs.TryGetLength(sdHash) is null)
        {
            return false;
        }

        try
        {
            var descriptor = new StreamDecryptor(storage).ReadDescriptor(sdHash);
            return descriptor.DataBlobs.All(blob => storage.Blobs.TryGetLength(blob.BlobHash!.Value) == blob.Length);
        }
        catch (LbryDataException)
        {
            // Let the rebuild report what is wrong with it.
            return true;
        }
    }

    private static async Task<int> ThroughNodeAsync(
        CommandContext context, NodeApiClient api, string uri, BlobHash sdHash, string? directory, List<IPEndPoint> peers, CancellationToken cancellationToken)
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

        var watch = Stopwatch.StartNew();
        await api.CallAsync("get", parameters, cancellationToken);
        try
        {
            var file = await FollowAsync(context, sdHash, async token =>
            {
                var list = await api.CallAsync("file_list", new JsonObject { ["sd_hash"] = sdHash.ToString() }, token);
                return list?["items"]?.AsArray().FirstOrDefault() as JsonObject
                    ?? throw new StreamDownloadException($"The node no longer lists {sdHash}; was it deleted?");
            }, cancellationToken);
            return Succeed(context, sdHash, file, watch.Elapsed);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            context.Output.Fail($"Stopped following; the node goes on downloading {sdHash} (`smartshare list` shows it).", "cancelled");
            return ExitCodes.Cancelled;
        }
    }

    private static async Task<int> InProcessAsync(
        CommandContext context, NodeSettingsStore settings, LbryStorage storage, DownloadTarget target, string? directory, List<IPEndPoint> peers, CancellationToken cancellationToken)
    {
        var sdHash = target.SdHash;
        await using var host = new NodeHost(new NodeHostOptions
        {
            DataDirectory = context.DataDirectory,
            Settings = settings,
            Storage = storage,
            Verbose = context.Output.IsVerbose,
        });
        await host.StartAsync(cancellationToken);
        context.Output.Detail($"Running a node for this download: LBRY DHT and blob exchange on port {host.DhtEndPoint.Port}.");
        var downloads = host.Services.GetRequiredService<DownloadManager>();
        var watch = Stopwatch.StartNew();
        downloads.AddDhtContacts(target.DhtContacts);
        downloads.Start(sdHash, directory, peers, target.Private);
        try
        {
            var file = await FollowAsync(context, sdHash, _ =>
            {
                var record = downloads.Find(sdHash) ?? throw new StreamDownloadException($"The download of {sdHash} is no longer listed.");
                return Task.FromResult(FileView.ToJson(record, downloads.Active(sdHash), null));
            }, cancellationToken);
            return Succeed(context, sdHash, file, watch.Elapsed);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            context.Output.Fail("Stopped; the blobs fetched so far are kept, and `get` again (or `smartshare start`) resumes the download.", "cancelled");
            return ExitCodes.Cancelled;
        }
    }

    /// <summary>Shows the file's progress until it is complete; a failed or stopped download throws its reason.</summary>
    private static Task<JsonObject> FollowAsync(
        CommandContext context, BlobHash sdHash, Func<CancellationToken, Task<JsonObject>> poll, CancellationToken cancellationToken) =>
        FollowAsync(context, sdHash.ToString(), poll, cancellationToken);

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

    /// <summary><c>get</c> of a magnet link or a .torrent file or URL: through the running node, or a node in this process.</summary>
    private static async Task<int> TorrentAsync(
        CommandContext context, DhtOptions dht, string text, string? chosenDirectory, string[] peerTexts, string[] btBootstrap, CancellationToken cancellationToken)
    {
        var directory = chosenDirectory is { } chosen ? Path.GetFullPath(chosen) : null;
        var fixedPeers = peerTexts.Select(peer => HostPort.Parse(peer, "--peer")).ToList();
        var isMagnet = TorrentSource.IsMagnet(text);
        if (isMagnet)
        {
            // Checked here so a bad link is bad input before any node is involved.
            SmartShare.BitTorrent.MagnetLink.Parse(text.Trim());
        }

        var uri = !isMagnet && File.Exists(text) ? Path.GetFullPath(text) : text.Trim();
        var watch = Stopwatch.StartNew();
        using var api = context.CreateApiClient();
        if (await api.IsRunningAsync(cancellationToken))
        {
            var parameters = new JsonObject
            {
                ["uri"] = uri,
                ["peers"] = new JsonArray([.. fixedPeers.Select(peer => (JsonNode?)JsonValue.Create(peer.ToString()))]),
            };
            if (directory is not null)
            {
                parameters["download_directory"] = directory;
            }

            var added = await api.CallAsync("get", parameters, cancellationToken);
            var hash = added?["info_hash"]?.GetValue<string>() ?? throw new StreamDownloadException("The node did not say which torrent it added.");
            try
            {
                var file = await FollowAsync(context, hash, async token =>
                {
                    var list = await api.CallAsync("file_list", new JsonObject { ["info_hash"] = hash }, token);
                    return list?["items"]?.AsArray().FirstOrDefault() as JsonObject
                        ?? throw new StreamDownloadException($"The node no longer lists torrent {hash}; was it deleted?");
                }, cancellationToken);
                return SucceedTorrent(context, file, watch.Elapsed);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                context.Output.Fail($"Stopped following; the node goes on downloading torrent {hash} (`smartshare list` shows it).", "cancelled");
                return ExitCodes.Cancelled;
            }
        }

        var flags = Flags(context.Parse, dht, directory, dht.BootstrapEndPoints(context.Parse));
        if (btBootstrap.Length > 0)
        {
            flags[NodeSettingKeys.BtBootstrap] = new JsonArray([.. btBootstrap.Select(item => (JsonNode?)JsonValue.Create(item))]);
        }

        var settings = NodeSettingsStore.Load(context.DataDirectory, flags);
        await using var host = new NodeHost(new NodeHostOptions
        {
            DataDirectory = context.DataDirectory,
            Settings = settings,
            Verbose = context.Output.IsVerbose,
        });
        await host.StartAsync(cancellationToken);
        var torrents = host.Services.GetRequiredService<TorrentManager>();
        context.Output.Detail($"Running a node for this download: BitTorrent peers on TCP port {torrents.ListenEndPoint.Port}.");
        SmartShare.BitTorrent.InfoHash infoHash;
        if (isMagnet)
        {
            infoHash = torrents.AddMagnet(uri, directory, fixedPeers).InfoHash;
        }
        else
        {
            var metainfo = await TorrentSource.ReadAsync(uri, torrents.Http, host.Services.GetRequiredService<TimeProvider>(), cancellationToken);
            infoHash = torrents.Add(metainfo, directory, fixedPeers).InfoHash;
        }

        try
        {
            var file = await FollowAsync(context, infoHash.ToString(), _ =>
            {
                var record = torrents.Find(infoHash) ?? throw new StreamDownloadException($"The torrent {infoHash} is no longer listed.");
                return Task.FromResult(TorrentView.ToJson(record, torrents.Session(infoHash), null));
            }, cancellationToken);
            return SucceedTorrent(context, file, watch.Elapsed);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            context.Output.Fail("Stopped; the pieces verified so far are kept, and `get` again (or `smartshare start`) resumes the download.", "cancelled");
            return ExitCodes.Cancelled;
        }
    }

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

    private static async Task<int> FromLocalStoreAsync(
        CommandContext context, LbryStorage storage, BlobHash sdHash, string directory, bool reachable, CancellationToken cancellationToken)
    {
        var decryptor = new StreamDecryptor(storage);
        StreamDescriptor descriptor;
        try
        {
            descriptor = decryptor.ReadDescriptor(sdHash);
        }
        catch (BlobNotFoundException ex) when (!reachable)
        {
            throw new BlobNotFoundException(ex.Hash, $"{ex.Message} No node is running and no peer can be reached: start one with `smartshare start`, or give --peer or --bootstrap.");
        }

        var watch = Stopwatch.StartNew();
        var path = await context.Output.WithProgressAsync(
            $"Rebuilding {descriptor.SuggestedFileName}",
            descriptor.PlaintextUpperBound,
            progress => decryptor.SaveAsync(descriptor, directory, progress, cancellationToken));
        watch.Stop();

        var size = new FileInfo(path).Length;
        context.Output.Succeed(
            $"Saved {Path.GetFileName(path)} ({Sizes.Format(size)}) to {path} in {Sizes.Seconds(watch.Elapsed)}, verified.",
            new JsonObject
            {
                ["path"] = path,
                ["sd_hash"] = sdHash.ToString(),
                ["name"] = Path.GetFileName(path),
                ["size"] = size,
                ["blobs"] = descriptor.DataBlobCount,
                ["seconds"] = Math.Round(watch.Elapsed.TotalSeconds, 3),
            });
        return ExitCodes.Success;
    }
}
