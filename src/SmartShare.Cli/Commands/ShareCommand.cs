using System.CommandLine;
using System.Diagnostics;
using System.Text.Json.Nodes;
using SmartShare.Cli.Output;
using SmartShare.Lbry.Streams;

namespace SmartShare.Cli.Commands;

/// <summary><c>smartshare share FILE</c>: makes a file into a stream in the local store and prints its sd hash.</summary>
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
}
