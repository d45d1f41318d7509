using System.CommandLine;
using System.Diagnostics;
using System.Text.Json.Nodes;
using SmartShare.Cli.Output;
using SmartShare.Node.Client;

namespace SmartShare.Cli.Commands;

/// <summary><c>smartshare blobs verify|list</c>: the node's blob store (<c>blob_verify</c>, <c>blob_list</c>), the running node's or a one-off one's.</summary>
internal static class BlobsCommand
{
    private const int PageSize = 1000;

    public static Command Create()
    {
        var verify = new Command("verify", "Re-hash every blob in the store; damaged ones are deleted and reported, missing ones forgotten.");
        verify.SetAction(CommandContext.Action(async (context, cancellationToken) =>
        {
            await using var node = await NodeConnection.OpenAsync(context, NodeUse.Local, null, cancellationToken);
            var watch = Stopwatch.StartNew();

            // A one-off node's start-up reconciled the store just now; what that found belongs in this report too.
            var report = await context.Output.WithSpinnerAsync(
                "Verifying blobs",
                () => node.Api.CallAsync("blob_verify", new JsonObject { ["include_startup"] = node.IsOneOff }, cancellationToken))
                ?? throw new NodeApiException("The node answered blob_verify with nothing.");
            watch.Stop();
            var corrupt = report["corrupt"]?.AsArray() ?? [];
            var missing = report["missing"]?.AsArray() ?? [];
            var checkedCount = report["checked"]?.GetValue<int>() ?? 0;
            var problems = corrupt.Count + missing.Count;
            var summary = problems == 0
                ? $"Verified {checkedCount} blobs ({Sizes.Format(report["bytes"]?.GetValue<long>() ?? 0)}) in {Sizes.Seconds(watch.Elapsed)}: all good."
                : $"Verified {checkedCount} blobs in {Sizes.Seconds(watch.Elapsed)}: {corrupt.Count} damaged (deleted) and " +
                  $"{missing.Count} missing (forgotten). Streams that use them need those blobs again.";
            context.Output.Succeed(summary, new JsonObject
            {
                ["checked"] = checkedCount,
                ["ok"] = problems == 0,
                ["corrupt"] = corrupt.DeepClone(),
                ["missing"] = missing.DeepClone(),
                ["added"] = report["added"]?.DeepClone() ?? new JsonArray(),
                ["seconds"] = Math.Round(watch.Elapsed.TotalSeconds, 3),
            });
            return problems == 0 ? ExitCodes.Success : ExitCodes.Failure;
        }));

        var list = new Command("list", "List the blobs the node holds: in the store (pinned or cached), or rebuilt from a stream's plain file.");
        list.SetAction(CommandContext.Action(async (context, cancellationToken) =>
        {
            await using var node = await NodeConnection.OpenAsync(context, NodeUse.Local, null, cancellationToken);
            var blobs = new List<(string Hash, long Length, string? Held)>();
            for (var page = 1; ; page++)
            {
                var answer = await node.Api.CallAsync("blob_list", new JsonObject { ["page"] = page, ["page_size"] = PageSize }, cancellationToken);
                var items = answer?["items"]?.AsArray() ?? [];
                blobs.AddRange(items.OfType<JsonObject>().Select(item =>
                    (item["blob_hash"]!.GetValue<string>(), item["length"]!.GetValue<long>(), item["held"]?.GetValue<string>())));
                if (items.Count < PageSize)
                {
                    break;
                }
            }

            if (!context.Output.IsJson)
            {
                foreach (var (hash, length, held) in blobs)
                {
                    Console.Out.WriteLine($"{hash}  {length,9}  {held}");
                }
            }

            var plain = blobs.Where(blob => blob.Held == "plain_file").ToList();
            var stored = blobs.Count - plain.Count;
            context.Output.Succeed(
                plain.Count == 0
                    ? $"{blobs.Count} blobs, {Sizes.Format(blobs.Sum(blob => blob.Length))}."
                    : $"{stored} blobs in the store, {Sizes.Format(blobs.Sum(blob => blob.Length) - plain.Sum(blob => blob.Length))}; {plain.Count} more rebuilt from plain files on demand, {Sizes.Format(plain.Sum(blob => blob.Length))}.",
                new JsonObject
                {
                    ["blobs"] = new JsonArray(blobs.Select(blob => (JsonNode)new JsonObject
                    {
                        ["blob_hash"] = blob.Hash,
                        ["length"] = blob.Length,
                        ["held"] = blob.Held,
                    }).ToArray()),
                });
            return ExitCodes.Success;
        }));

        return new Command("blobs", "Inspect and check the local blob store.") { verify, list };
    }
}
