using System.CommandLine;
using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using SmartShare.BitTorrent;
using SmartShare.BitTorrent.Metainfo;
using SmartShare.BitTorrent.Storage;
using SmartShare.Cli.Output;
using SmartShare.Lbry.Streams;
using SmartShare.Node.Client;
using SmartShare.Node.Downloads;
using SmartShare.Node.Settings;
using SmartShare.Node.Shares;
using SmartShare.Node.Torrents;

namespace SmartShare.Cli.Commands;

/// <summary>
/// <c>smartshare share FILE</c>: makes a file into a stream and prints its sd hash. With a node running, the node
/// does it (and announces the stream at once); with none, the local store gets it and the next start announces it.
/// </summary>
internal static class ShareCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("FILE") { Description = "The file to share." };
        var output = new Option<string?>("--out")
        {
            Description = "Where to write the .smartshare file. Default: NAME.smartshare in the current folder.",
            HelpName = "PATH",
        };
        var advertise = new Option<string[]>("--advertise")
        {
            Description = "An address receivers reach this node at, put in the .smartshare file (repeatable; the port defaults to the node's). Default: this machine's non-loopback addresses.",
            HelpName = "HOST[:PORT]",
        };
        var isPrivate = new Option<bool>("--private")
        {
            Description = "Keep the stream out of the DHT: only holders of the .smartshare file reach it, through the contacts in it.",
        };
        var torrent = new Option<bool>("--torrent")
        {
            Description = "Also make a torrent (of a file or a folder) and seed it: writes NAME.torrent next to the .smartshare file and prints the magnet link.",
        };
        var trackers = new Option<string[]>("--tracker")
        {
            Description = "A tracker announce URL to write into the torrent (with --torrent; the first one is used).",
            HelpName = "URL",
        };
        var force = new Option<bool>("--force")
        {
            Description = "Replace an existing .smartshare (or .torrent) file at the output path; without it such a file is left as it is and nothing is shared.",
        };
        var command = new Command("share", "Make a file into an encrypted LBRY stream (and with --torrent a torrent), write its .smartshare file and print its link.")
        {
            file,
            output,
            advertise,
            isPrivate,
            torrent,
            trackers,
            force,
        };
        command.SetAction(CommandContext.Action(async (context, cancellationToken) =>
        {
            var path = Path.GetFullPath(context.Parse.GetValue(file)!);
            var sharePath = Path.GetFullPath(context.Parse.GetValue(output) ?? FileNameSanitizer.ForDownload(Path.GetFileName(path)) + ".smartshare");
            var advertised = context.Parse.GetValue(advertise) ?? [];
            var keepPrivate = context.Parse.GetValue(isPrivate);
            var torrentOptions = context.Parse.GetValue(torrent)
                ? new TorrentShare(
                    Path.Combine(Path.GetDirectoryName(sharePath)!, FileNameSanitizer.ForDownload(Path.GetFileName(path)) + ".torrent"),
                    context.Parse.GetValue(trackers) ?? [])
                : null;
            foreach (var tracker in torrentOptions?.Trackers ?? [])
            {
                if (!Uri.TryCreate(tracker, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https" or "udp"))
                {
                    throw new FormatException($"--tracker must be an http, https or udp URL, not '{tracker}'.");
                }
            }

            // Before any work (and whether or not a node runs): a taken output path leaves everything as it is.
            var overwrite = context.Parse.GetValue(force);
            if (!(torrentOptions is not null && Directory.Exists(path)))
            {
                ShareFiles.CheckOutput(sharePath, overwrite, "pass --force");
            }

            if (torrentOptions is not null)
            {
                ShareFiles.CheckOutput(torrentOptions.TorrentPath, overwrite, "pass --force");
            }

            using var api = context.CreateApiClient();
            if (await api.IsRunningAsync(cancellationToken))
            {
                return await ThroughNodeAsync(context, api, path, sharePath, advertised, keepPrivate, torrentOptions, overwrite, cancellationToken);
            }

            if (torrentOptions is not null && Directory.Exists(path))
            {
                // A folder has no LBRY stream: it is shared as a torrent alone.
                var folderResult = new JsonObject { ["source"] = path };
                var (magnet, _) = await TorrentLocallyAsync(context, path, torrentOptions, advertised, folderResult, overwrite, cancellationToken);
                context.Output.Human($"Wrote {folderResult["torrent"]}; `smartshare start` seeds it. Its magnet link:");
                context.Output.Succeed(magnet, folderResult);
                return ExitCodes.Success;
            }

            // Checked before the work: a bad --advertise should not cost a whole encryption.
            var nodeSettings = NodeSettingsStore.Load(context.DataDirectory).Current;
            var contacts = ShareFiles.Contacts(advertised, nodeSettings.Port, IPAddress.Parse(nodeSettings.BindAddress));

            var storage = context.OpenStorage(cancellationToken);
            var size = File.Exists(path) ? new FileInfo(path).Length : 0;
            var watch = Stopwatch.StartNew();
            var encryptor = new StreamEncryptor(storage, SecureRandomSource.Instance);
            var created = await context.Output.WithProgressAsync(
                $"Sharing {Path.GetFileName(path)}",
                size,
                progress => encryptor.CreateAsync(path, progress, cancellationToken: cancellationToken));
            watch.Stop();

            var descriptor = created.Descriptor;
            var now = DateTimeOffset.UtcNow;
            FileStore.Open(context.DataDirectory).Upsert(new FileRecord(
                created.SdHash, FileKind.Share, FileStatus.Completed, Path.GetDirectoryName(created.SourcePath), created.SourcePath,
                descriptor.StreamName, null, [], now, now, keepPrivate));
            var torrentResult = new JsonObject();
            var (torrentMagnet, torrentForm) = torrentOptions is null
                ? (null, null)
                : await TorrentLocallyAsync(context, path, torrentOptions, advertised, torrentResult, overwrite, cancellationToken);
            var share = ShareFiles.Describe(created, storage.Blobs.ReadAllVerified(created.SdHash), contacts, keepPrivate, now) with { BitTorrent = torrentForm };
            var written = ShareFiles.Write(share, sharePath, overwrite);
            var link = SmartShareCodec.ToLink(share);
            WarnIfUnreachable(context, contacts.Count, keepPrivate);
            context.Output.Human(
                $"Shared {descriptor.StreamName} ({Sizes.Format(created.Size)} in {descriptor.DataBlobCount} blobs) " +
                $"in {Sizes.Seconds(watch.Elapsed)}, {Sizes.Rate(created.Size, watch.Elapsed)}. sd hash: {created.SdHash}");
            var result = new JsonObject
            {
                ["sd_hash"] = created.SdHash.ToString(),
                ["stream_hash"] = descriptor.StreamHash,
                ["name"] = descriptor.StreamName,
                ["suggested_file_name"] = descriptor.SuggestedFileName,
                ["source"] = created.SourcePath,
                ["size"] = created.Size,
                ["blobs"] = descriptor.DataBlobCount,
                ["seconds"] = Math.Round(watch.Elapsed.TotalSeconds, 3),
                ["private"] = keepPrivate,
                ["smartshare"] = written,
                ["link"] = link,
            };
            if (torrentMagnet is not null)
            {
                foreach (var (key, value) in torrentResult.ToList())
                {
                    torrentResult.Remove(key);
                    result[key] = value;
                }

                context.Output.Human($"Wrote {written} and {result["torrent"]}; `smartshare start` serves the stream and seeds the torrent. Its link and magnet link:");
                context.Output.Human(link);
                context.Output.Succeed(torrentMagnet, result);
                return ExitCodes.Success;
            }

            context.Output.Human($"Wrote {written}; `smartshare start` serves it{(keepPrivate ? " (kept out of the DHT)" : " and announces it")}. Its link:");
            context.Output.Succeed(link, result);
            return ExitCodes.Success;
        }));
        return command;
    }

    /// <summary>Where to write the .torrent and which trackers to name in it.</summary>
    private sealed record TorrentShare(string TorrentPath, string[] Trackers);

    // With no node running: make the torrent, write it, and list it as a completed share so `start` seeds it. The
    // magnet link and the share's torrent form name this machine's addresses on the bt_port the node will listen on
    // (its peers on TCP, its Mainline DHT on UDP), unless that port is chosen at start (0).
    private static async Task<(string Magnet, SmartShareTorrent Form)> TorrentLocallyAsync(
        CommandContext context, string path, TorrentShare options, string[] advertised, JsonObject result, bool overwrite, CancellationToken cancellationToken)
    {
        var settings = NodeSettingsStore.Load(context.DataDirectory).Current;
        var size = File.Exists(path) ? new FileInfo(path).Length : DirectorySize(path);
        var (bytes, torrent) = await context.Output.WithProgressAsync(
            $"Hashing {Path.GetFileName(path)} for its torrent",
            size,
            progress => Task.Run(
                () => TorrentCreator.Create(path, announce: options.Trackers.FirstOrDefault(), progress: progress, cancellationToken: cancellationToken),
                cancellationToken));
        ShareFiles.WriteAtomically(bytes, options.TorrentPath, overwrite);
        var store = TorrentStore.Open(context.DataDirectory);
        var now = DateTimeOffset.UtcNow;
        store.Upsert(
            new TorrentRecord(
                torrent.InfoHash, torrent.Info.Name, FileKind.Share, FileStatus.Completed, Path.GetDirectoryName(path)!, Path.GetFileName(path),
                torrent.Info.TotalLength, null, [], now, now),
            bytes);
        var verified = new Bitfield(torrent.Info.PieceCount);
        verified.SetAll();
        ResumeStore.Open(store.DatabasePath).Save(torrent.InfoHash, verified);
        var peers = settings.BtPort == 0
            ? []
            : ShareFiles.Contacts(advertised, settings.BtPort, IPAddress.Parse(settings.BindAddress)).Select(contact => contact.Blob).OfType<SmartShareEndpoint>().ToList();
        var dhtNodes = settings.BtDht && !torrent.Info.IsPrivate ? peers : [];
        var magnet = MagnetLink.Build(
            torrent.InfoHash,
            torrent.Info.Name,
            torrent.Info.TotalLength,
            options.Trackers,
            peers.Select(peer => IPAddress.TryParse(peer.Host, out var address) ? new IPEndPoint(address, peer.Port) : null).OfType<IPEndPoint>(),
            dhtNodes.Select(node => new DnsEndPoint(node.Host, node.Port)));
        result["info_hash"] = torrent.InfoHash.ToString();
        result["torrent"] = options.TorrentPath;
        result["magnet"] = magnet;
        result["pieces"] = torrent.Info.PieceCount;
        result["piece_length"] = torrent.Info.PieceLength;
        return (magnet, new SmartShareTorrent(torrent.InfoHash, peers, dhtNodes));
    }

    private static long DirectorySize(string path) =>
        Directory.Exists(path) ? new DirectoryInfo(path).EnumerateFiles("*", SearchOption.AllDirectories).Sum(file => file.Length) : 0;

    private static void WarnIfUnreachable(CommandContext context, int contacts, bool keepPrivate)
    {
        if (contacts == 0)
        {
            context.Output.Warn(keepPrivate
                ? "The .smartshare file names no address of this node (it has only loopback), and the stream is private: nobody can fetch it. Give --advertise HOST[:PORT]."
                : "The .smartshare file names no address of this node (it has only loopback); receivers must find the stream through the DHT. Give --advertise HOST[:PORT].");
        }
    }

    private static async Task<int> ThroughNodeAsync(
        CommandContext context, NodeApiClient api, string path, string sharePath, string[] advertise, bool keepPrivate, TorrentShare? torrent, bool overwrite, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        context.Output.Human($"Sharing {Path.GetFileName(path)} through the running node…");
        var parameters = new JsonObject
        {
            ["file_path"] = path,
            ["private"] = keepPrivate,
            ["advertise"] = new JsonArray([.. advertise.Select(item => (JsonNode?)JsonValue.Create(item))]),
            ["smartshare_path"] = sharePath,
            ["overwrite"] = overwrite,
        };
        if (torrent is not null)
        {
            parameters["torrent"] = true;
            parameters["torrent_path"] = torrent.TorrentPath;
            parameters["trackers"] = new JsonArray([.. torrent.Trackers.Select(item => (JsonNode?)JsonValue.Create(item))]);
        }

        var created = await api.CallAsync("stream_create", parameters, cancellationToken)
            ?? throw new NodeApiException("The node answered stream_create with nothing.");
        watch.Stop();
        if (created["magnet"]?.GetValue<string>() is { } magnet && created["sd_hash"] is null)
        {
            context.Output.Human($"Made torrent {created["info_hash"]} of {Path.GetFileName(path)} in {Sizes.Seconds(watch.Elapsed)}; the node seeds it. Wrote {created["torrent"]}. Its magnet link:");
            context.Output.Succeed(magnet, new JsonObject
            {
                ["source"] = path,
                ["info_hash"] = created["info_hash"]?.DeepClone(),
                ["torrent"] = created["torrent"]?.DeepClone(),
                ["magnet"] = magnet,
                ["seconds"] = Math.Round(watch.Elapsed.TotalSeconds, 3),
            });
            return ExitCodes.Success;
        }

        var size = created["size"]?.GetValue<long>() ?? 0;
        var blobs = created["blobs_in_stream"]?.GetValue<int>() ?? 0;
        var sdHash = created["sd_hash"]!.GetValue<string>();
        var link = created["link"]?.GetValue<string>();
        WarnIfUnreachable(context, created["advertised"]?.AsArray().Count ?? 0, keepPrivate);
        context.Output.Human(
            $"Shared {created["stream_name"]} ({Sizes.Format(size)} in {blobs} blobs) in {Sizes.Seconds(watch.Elapsed)}; " +
            $"the node serves it{(keepPrivate ? " (kept out of the DHT)" : " and announces it")}. sd hash: {sdHash}");
        var view = new JsonObject
        {
            ["sd_hash"] = sdHash,
            ["stream_hash"] = created["stream_hash"]?.DeepClone(),
            ["name"] = created["stream_name"]?.DeepClone(),
            ["suggested_file_name"] = created["suggested_file_name"]?.DeepClone(),
            ["source"] = path,
            ["size"] = size,
            ["blobs"] = blobs,
            ["seconds"] = Math.Round(watch.Elapsed.TotalSeconds, 3),
            ["streaming_url"] = created["streaming_url"]?.DeepClone(),
            ["private"] = keepPrivate,
            ["smartshare"] = created["smartshare"]?.DeepClone(),
            ["link"] = link,
        };
        if (created["magnet"]?.GetValue<string>() is { } torrentMagnet)
        {
            view["info_hash"] = created["info_hash"]?.DeepClone();
            view["torrent"] = created["torrent"]?.DeepClone();
            view["magnet"] = torrentMagnet;
            context.Output.Human($"Wrote {created["smartshare"]} and {created["torrent"]}; the node seeds the torrent too. Its link and magnet link:");
            context.Output.Human(link ?? sdHash);
            context.Output.Succeed(torrentMagnet, view);
            return ExitCodes.Success;
        }

        context.Output.Human($"Wrote {created["smartshare"]}. Its link:");
        context.Output.Succeed(link ?? sdHash, view);
        return ExitCodes.Success;
    }
}
