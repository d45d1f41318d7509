using System.CommandLine;
using System.Diagnostics;
using System.Text.Json.Nodes;
using SmartShare.Cli.Output;
using SmartShare.Lbry.Streams;
using SmartShare.Node.Client;

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
        var command = new Command("share", "Make a file into an encrypted LBRY stream in the local store and print its sd hash.")
        {
            file,
        };
        command.SetAction(CommandContext.Action(async (context, cancellationToken) =>
        {
            var path = Path.GetFullPath(context.Parse.GetValue(file)!);
            using var api = context.CreateApiClient();
            if (await api.IsRunningAsync(cancellationToken))
            {
                return await ThroughNodeAsync(context, api, path, cancellationToken);
            }

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
            context.Output.Succeed(
                $"Shared {descriptor.StreamName} ({Sizes.Format(created.Size)} in {descriptor.DataBlobCount} blobs) " +
                $"in {Sizes.Seconds(watch.Elapsed)}, {Sizes.Rate(created.Size, watch.Elapsed)}. sd hash: {created.SdHash}",
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
                });
            return ExitCodes.Success;
        }));
        return command;
    }

    private static async Task<int> ThroughNodeAsync(CommandContext context, NodeApiClient api, string path, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        context.Output.Info($"Sharing {Path.GetFileName(path)} through the running node…");
        var created = await api.CallAsync("stream_create", new JsonObject { ["file_path"] = path }, cancellationToken)
            ?? throw new NodeApiException("The node answered stream_create with nothing.");
        watch.Stop();
        var size = created["size"]?.GetValue<long>() ?? 0;
        var blobs = created["blobs_in_stream"]?.GetValue<int>() ?? 0;
        var sdHash = created["sd_hash"]!.GetValue<string>();
        context.Output.Succeed(
            $"Shared {created["stream_name"]} ({Sizes.Format(size)} in {blobs} blobs) in {Sizes.Seconds(watch.Elapsed)}; " +
            $"the node serves and announces it. sd hash: {sdHash}",
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
            });
        return ExitCodes.Success;
    }
}
