using System.CommandLine;
using System.Diagnostics;
using System.Text.Json.Nodes;
using SmartShare.Cli.Output;
using SmartShare.Lbry.Streams;
using SmartShare.Node.Client;
using SmartShare.Node.Downloads;
using SmartShare.Node.Settings;
using SmartShare.Node.Shares;

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
        var command = new Command("share", "Make a file into an encrypted LBRY stream, write its .smartshare file and print its link.")
        {
            file,
            output,
            advertise,
            isPrivate,
        };
        command.SetAction(CommandContext.Action(async (context, cancellationToken) =>
        {
            var path = Path.GetFullPath(context.Parse.GetValue(file)!);
            var sharePath = Path.GetFullPath(context.Parse.GetValue(output) ?? FileNameSanitizer.ForDownload(Path.GetFileName(path)) + ".smartshare");
            var advertised = context.Parse.GetValue(advertise) ?? [];
            var keepPrivate = context.Parse.GetValue(isPrivate);
            using var api = context.CreateApiClient();
            if (await api.IsRunningAsync(cancellationToken))
            {
                return await ThroughNodeAsync(context, api, path, sharePath, advertised, keepPrivate, cancellationToken);
            }

            // Checked before the work: a bad --advertise should not cost a whole encryption.
            var port = NodeSettingsStore.Load(context.DataDirectory).Current.Port;
            var contacts = ShareFiles.Contacts(advertised, port);

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
            var share = ShareFiles.Describe(created, storage.Blobs.ReadAllVerified(created.SdHash), contacts, keepPrivate, now);
            var written = ShareFiles.Write(share, sharePath);
            var link = SmartShareCodec.ToLink(share);
            WarnIfUnreachable(context, contacts.Count, keepPrivate);
            context.Output.Human(
                $"Shared {descriptor.StreamName} ({Sizes.Format(created.Size)} in {descriptor.DataBlobCount} blobs) " +
                $"in {Sizes.Seconds(watch.Elapsed)}, {Sizes.Rate(created.Size, watch.Elapsed)}. sd hash: {created.SdHash}");
            context.Output.Human($"Wrote {written}; `smartshare start` serves it{(keepPrivate ? " (kept out of the DHT)" : " and announces it")}. Its link:");
            context.Output.Succeed(
                link,
                new JsonObject
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
                });
            return ExitCodes.Success;
        }));
        return command;
    }

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
        CommandContext context, NodeApiClient api, string path, string sharePath, string[] advertise, bool keepPrivate, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        context.Output.Human($"Sharing {Path.GetFileName(path)} through the running node…");
        var created = await api.CallAsync(
            "stream_create",
            new JsonObject
            {
                ["file_path"] = path,
                ["private"] = keepPrivate,
                ["advertise"] = new JsonArray([.. advertise.Select(item => (JsonNode?)JsonValue.Create(item))]),
                ["smartshare_path"] = sharePath,
            },
            cancellationToken) ?? throw new NodeApiException("The node answered stream_create with nothing.");
        watch.Stop();
        var size = created["size"]?.GetValue<long>() ?? 0;
        var blobs = created["blobs_in_stream"]?.GetValue<int>() ?? 0;
        var sdHash = created["sd_hash"]!.GetValue<string>();
        var link = created["link"]?.GetValue<string>();
        WarnIfUnreachable(context, created["advertised"]?.AsArray().Count ?? 0, keepPrivate);
        context.Output.Human(
            $"Shared {created["stream_name"]} ({Sizes.Format(size)} in {blobs} blobs) in {Sizes.Seconds(watch.Elapsed)}; " +
            $"the node serves it{(keepPrivate ? " (kept out of the DHT)" : " and announces it")}. sd hash: {sdHash}");
        context.Output.Human($"Wrote {created["smartshare"]}. Its link:");
        context.Output.Succeed(
            link ?? sdHash,
            new JsonObject
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
            });
        return ExitCodes.Success;
    }
}
