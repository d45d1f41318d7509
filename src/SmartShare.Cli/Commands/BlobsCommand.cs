using System.CommandLine;
using System.Diagnostics;
using System.Text.Json.Nodes;
using SmartShare.Cli.Output;

namespace SmartShare.Cli.Commands;

/// <summary><c>smartshare blobs verify|list</c>: the local blob store.</summary>
internal static class BlobsCommand
{
    public static Command Create()
    {
        var verify = new Command("verify", "Re-hash every blob in the store; damaged ones are deleted and reported, missing ones forgotten.");
        verify.SetAction(CommandContext.Action(async (context, cancellationToken) =>
        {
            var storage = context.OpenStorage(cancellationToken);
            var total = storage.Blobs.List().Sum(blob => blob.Length);
            var watch = Stopwatch.StartNew();
            var report = await context.Output.WithProgressAsync(
                "Verifying blobs",
                total,
                progress => Task.Run(() => storage.Blobs.Reconcile(rehashAll: true, progress is null ? null : new Accumulator(progress), cancellationToken), cancellationToken));
            watch.Stop();

            // Opening the store already reconciled it; what that found belongs in this report too.
            report = report.Merge(storage.StartupReport);
            var problems = report.Corrupt.Count + report.Missing.Count;
            var summary = problems == 0
                ? $"Verified {report.Checked} blobs ({Sizes.Format(total)}) in {Sizes.Seconds(watch.Elapsed)}: all good."
                : $"Verified {report.Checked} blobs in {Sizes.Seconds(watch.Elapsed)}: {report.Corrupt.Count} damaged (deleted) and " +
                  $"{report.Missing.Count} missing (forgotten). Streams that use them need those blobs again.";
            context.Output.Succeed(summary, new JsonObject
            {
                ["checked"] = report.Checked,
                ["ok"] = problems == 0,
                ["corrupt"] = new JsonArray(report.Corrupt.Select(hash => (JsonNode)hash.ToString()).ToArray()),
                ["missing"] = new JsonArray(report.Missing.Select(hash => (JsonNode)hash.ToString()).ToArray()),
                ["added"] = new JsonArray(report.Added.Select(hash => (JsonNode)hash.ToString()).ToArray()),
                ["seconds"] = Math.Round(watch.Elapsed.TotalSeconds, 3),
            });
            return problems == 0 ? ExitCodes.Success : ExitCodes.Failure;
        }));

        var list = new Command("list", "List the blobs in the local store.");
        list.SetAction(CommandContext.Action((context, cancellationToken) =>
        {
            var blobs = context.OpenStorage(cancellationToken).Blobs.List();
            if (!context.Output.IsJson)
            {
                foreach (var blob in blobs)
                {
                    Console.Out.WriteLine($"{blob.Hash}  {blob.Length,9}");
                }
            }

            context.Output.Succeed(
                $"{blobs.Count} blobs, {Sizes.Format(blobs.Sum(blob => blob.Length))}.",
                new JsonObject
                {
                    ["blobs"] = new JsonArray(blobs.Select(blob => (JsonNode)new JsonObject
                    {
                        ["blob_hash"] = blob.Hash.ToString(),
                        ["length"] = blob.Length,
                    }).ToArray()),
                });
            return Task.FromResult(ExitCodes.Success);
        }));

        return new Command("blobs", "Inspect and check the local blob store.") { verify, list };
    }

    /// <summary>Reconcile reports bytes per file hashed; the progress bar wants the running total.</summary>
    private sealed class Accumulator(IProgress<long> inner) : IProgress<long>
    {
        private long _total;

        public void Report(long value) => inner.Report(Interlocked.Add(ref _total, value));
    }
}
