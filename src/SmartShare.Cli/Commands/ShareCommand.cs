using System.CommandLine;
using System.Diagnostics;
using System.Text.Json.Nodes;
using SmartShare.Cli.Output;
using SmartShare.Lbry.Streams;
using SmartShare.Node.Client;
using SmartShare.Node.Downloads;

namespace SmartShare.Cli.Commands;

/// <summary>
/// <c>smartshare share FILE</c>: makes a file into a stream and prints its link, through the node's <c>stream_create</c>.
/// With a node running, that node does it (and announces the stream at once); with none, a one-off node does it on the
/// data directory, naming the ports of the node `start` runs later, which serves and announces it.
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
            Description = "An address receivers reach this node at, put in the .smartshare file (repeatable; the port defaults to the node's). Default: the 'advertise' setting, else the router's mapped address, the node's external address and this machine's LAN addresses, in that order.",
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

            await using var node = await NodeConnection.OpenAsync(context, NodeUse.Local, null, cancellationToken);
            return await ShareAsync(context, node, path, sharePath, advertised, keepPrivate, torrentOptions, overwrite, cancellationToken);
        }));
        return command;
    }

    /// <summary>Where to write the .torrent and which trackers to name in it.</summary>
    private sealed record TorrentShare(string TorrentPath, string[] Trackers);

    private static void WarnIfUnreachable(CommandContext context, int contacts, bool keepPrivate)
    {
        if (contacts == 0)
        {
            context.Output.Warn(keepPrivate
                ? "The .smartshare file names no address of this node (it has only loopback), and the stream is private: nobody can fetch it. Give --advertise HOST[:PORT]."
                : "The .smartshare file names no address of this node (it has only loopback); receivers must find the stream through the DHT. Give --advertise HOST[:PORT].");
        }
    }

    // The node makes the stream (and the torrent), lists them as shares, and writes the .smartshare and .torrent files.
    // A one-off node shares on behalf of the node `start` runs later: the files name the ports that one listens on.
    private static async Task<int> ShareAsync(
        CommandContext context, NodeConnection node, string path, string sharePath, string[] advertise, bool keepPrivate, TorrentShare? torrent, bool overwrite, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        if (!node.IsOneOff)
        {
            context.Output.Human($"Sharing {Path.GetFileName(path)} through the running node…");
        }

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

        if (node.Settings is { } later)
        {
            if (later.Port != 0)
            {
                parameters["advertise_port"] = later.Port;
            }

            // A BitTorrent port chosen at start (0) cannot be named now: the magnet then names no peer.
            parameters["advertise_bt_port"] = later.BtPort;
            parameters["advertise_bt_dht"] = later.BtDht;
        }

        var created = await context.Output.WithSpinnerAsync(
                torrent is null ? $"Sharing {Path.GetFileName(path)}" : $"Sharing {Path.GetFileName(path)} and hashing its torrent",
                () => node.Api.CallAsync("stream_create", parameters, cancellationToken))
            ?? throw new NodeApiException("The node answered stream_create with nothing.");
        watch.Stop();
        var serves = node.IsOneOff ? "`smartshare start` serves it" : "the node serves it";
        if (created["magnet"]?.GetValue<string>() is { } magnet && created["sd_hash"] is null)
        {
            // A folder has no LBRY stream: it was shared as a torrent alone.
            context.Output.Human(node.IsOneOff
                ? $"Wrote {created["torrent"]}; `smartshare start` seeds it. Its magnet link:"
                : $"Made torrent {created["info_hash"]} of {Path.GetFileName(path)} in {Sizes.Seconds(watch.Elapsed)}; the node seeds it. Wrote {created["torrent"]}. Its magnet link:");
            context.Output.Succeed(magnet, new JsonObject
            {
                ["source"] = path,
                ["info_hash"] = created["info_hash"]?.DeepClone(),
                ["torrent"] = created["torrent"]?.DeepClone(),
                ["magnet"] = magnet,
                ["pieces"] = created["pieces_total"]?.DeepClone(),
                ["piece_length"] = created["piece_length"]?.DeepClone(),
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
            $"Shared {created["stream_name"]} ({Sizes.Format(size)} in {blobs} blobs) in {Sizes.Seconds(watch.Elapsed)}, {Sizes.Rate(size, watch.Elapsed)}; " +
            $"{serves}{(keepPrivate ? " (kept out of the DHT)" : " and announces it")}. sd hash: {sdHash}");
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
            ["private"] = keepPrivate,
            ["smartshare"] = created["smartshare"]?.DeepClone(),
            ["link"] = link,
        };
        if (!node.IsOneOff)
        {
            // A one-off node's API is gone when this command ends: its URL would lead nowhere.
            view["streaming_url"] = created["streaming_url"]?.DeepClone();
        }

        if (created["magnet"]?.GetValue<string>() is { } torrentMagnet)
        {
            view["info_hash"] = created["info_hash"]?.DeepClone();
            view["torrent"] = created["torrent"]?.DeepClone();
            view["magnet"] = torrentMagnet;
            view["pieces"] = created["pieces_total"]?.DeepClone();
            view["piece_length"] = created["piece_length"]?.DeepClone();
            context.Output.Human(node.IsOneOff
                ? $"Wrote {created["smartshare"]} and {created["torrent"]}; `smartshare start` serves the stream and seeds the torrent. Its link and magnet link:"
                : $"Wrote {created["smartshare"]} and {created["torrent"]}; the node seeds the torrent too. Its link and magnet link:");
            context.Output.Human(link ?? sdHash);
            context.Output.Succeed(torrentMagnet, view);
            return ExitCodes.Success;
        }

        context.Output.Human($"Wrote {created["smartshare"]}. Its link:");
        context.Output.Succeed(link ?? sdHash, view);
        return ExitCodes.Success;
    }
}
