using System.CommandLine;
using System.Diagnostics;
using System.Text.Json.Nodes;
using SmartShare.Cli.Output;
using SmartShare.Lbry.Blobs;
using SmartShare.Lbry.Streams;

namespace SmartShare.Cli.Commands;

/// <summary><c>smartshare get SD_HASH</c>: rebuilds a stream's file from the local store.</summary>
internal static class GetCommand
{
    public static Command Create()
    {
        var target = new Argument<string>("TARGET") { Description = "The sd hash of the stream (96 hex digits)." };
        var downloadDir = new Option<string?>("--download-dir")
        {
            Description = "Folder to save into. Default: ~/Downloads.",
            HelpName = "DIR",
        };
        var command = new Command("get", "Rebuild a stream's file from its blobs and print where it was saved.")
        {
            target,
            downloadDir,
        };
        command.SetAction(CommandContext.Action(async (context, cancellationToken) =>
        {
            var sdHash = BlobHash.Parse(context.Parse.GetValue(target)!, "sd hash");
            var directory = Path.GetFullPath(context.Parse.GetValue(downloadDir) ?? DefaultPaths.DownloadDirectory());
            var storage = context.OpenStorage(cancellationToken);
            var decryptor = new StreamDecryptor(storage);
            var descriptor = decryptor.ReadDescriptor(sdHash);

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
        }));
        return command;
    }
}
