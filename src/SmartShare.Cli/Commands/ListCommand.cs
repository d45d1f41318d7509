using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using SmartShare.Cli.Output;

namespace SmartShare.Cli.Commands;

/// <summary>
/// <c>smartshare list</c>: the node's files (downloads and shares) with their progress, from the running node's
/// <c>file_list</c>, or with none running from a one-off node on the data directory (what was downloaded, what will resume).
/// </summary>
internal static class ListCommand
{
    private const int PageSize = 1000;

    public static Command Create()
    {
        var command = new Command("list", "List every transfer (downloads and shares, streams and torrents) as a table: state, progress, size, rates, peers, uploaded, ratio, ETA.");
        command.SetAction(CommandContext.Action(async (context, cancellationToken) =>
        {
            await using var node = await NodeConnection.OpenAsync(context, NodeUse.Local, null, cancellationToken);
            var page = await node.Api.CallAsync("file_list", new JsonObject { ["page_size"] = PageSize }, cancellationToken);
            var items = page?["items"]?.AsArray().DeepClone().AsArray() ?? [];
            if (node.IsOneOff)
            {
                // The node that answered is gone when this command ends: its /stream URLs would lead nowhere.
                foreach (var item in items.OfType<JsonObject>())
                {
                    item.Remove("streaming_url");
                }
            }

            var text = new StringBuilder();
            if (items.Count > 0)
            {
                text.Append(Table(items.OfType<JsonObject>().ToList()));
            }

            text.Append(items.Count switch
            {
                0 => "No transfers yet: `smartshare share FILE` or `smartshare get SD_HASH|FILE.torrent` adds one.",
                1 => "1 transfer.",
                _ => $"{items.Count} transfers.",
            });
            context.Output.Succeed(text.ToString(), new JsonObject { ["items"] = items, ["total_items"] = items.Count });
            return ExitCodes.Success;
        }));
        return command;
    }

    /// <summary>The columns of the table, in order; the last one (the name) is not padded.</summary>
    internal static readonly string[] Columns = ["KEY", "TYPE", "STATE", "PROGRESS", "SIZE", "DOWN", "UP", "PEERS", "UPLOADED", "RATIO", "ETA", "NAME"];

    private const int MaxNameLength = 60;

    // One row per transfer under a header; a torrent share of a file that is also an LBRY stream is two transfers
    // (two networks serve it), told apart by TYPE. A failed transfer's reason follows on its own indented line.
    private static string Table(List<JsonObject> items)
    {
        var rows = new List<string[]> { Columns };
        var notes = new Dictionary<int, string>();
        foreach (var item in items)
        {
            rows.Add(Row(item));
            if (item["error"]?.GetValue<string>() is { Length: > 0 } reason)
            {
                notes[rows.Count - 1] = reason;
            }
        }

        var widths = Enumerable.Range(0, Columns.Length).Select(column => rows.Max(row => row[column].Length)).ToArray();
        var text = new StringBuilder();
        for (var index = 0; index < rows.Count; index++)
        {
            var row = rows[index];
            var line = string.Join("  ", row.Select((cell, column) =>
                column == row.Length - 1 ? cell : IsNumeric(column) ? cell.PadLeft(widths[column]) : cell.PadRight(widths[column])));
            text.AppendLine(line.TrimEnd());
            if (notes.TryGetValue(index, out var note))
            {
                text.AppendLine($"    {note}");
            }
        }

        return text.ToString();
    }

    private static bool IsNumeric(int column) => Columns[column] is "PROGRESS" or "SIZE" or "DOWN" or "UP" or "PEERS" or "UPLOADED" or "RATIO";

    private static string[] Row(JsonObject item)
    {
        var progress = item["progress"] as JsonObject;
        var key = item["key"]?.GetValue<string>() ?? item["sd_hash"]?.GetValue<string>() ?? item["info_hash"]?.GetValue<string>() ?? string.Empty;
        var name = item["name"]?.GetValue<string>() ?? item["file_name"]?.GetValue<string>() ?? "(name not known yet)";
        if (name.Length > MaxNameLength)
        {
            name = string.Concat(name.AsSpan(0, MaxNameLength - 1), "…");
        }

        var total = Long(progress?["bytes_total"]);
        var fraction = progress?["fraction"] is JsonValue value && value.TryGetValue<double>(out var done) ? done : (double?)null;
        var uploaded = Long(progress?["uploaded"]) ?? Long(progress?["bytes_sent"]);
        var ratio = progress?["ratio"] is JsonValue ratioValue && ratioValue.TryGetValue<double>(out var given) ? given
            : uploaded is { } sent && total is > 0 ? (double)sent / total.Value : (double?)null;
        var eta = Long(progress?["eta_seconds"]);
        return
        [
            key[..Math.Min(12, key.Length)],
            item["type"]?.GetValue<string>() ?? "stream",
            State(item),
            fraction is { } f ? string.Create(CultureInfo.InvariantCulture, $"{100 * f:0.0}%") : "-",
            total is { } size ? Sizes.Format(size) : "-",
            Rate(progress?["download_rate"]),
            Rate(progress?["upload_rate"]),
            Long(progress?["peers_connected"])?.ToString(CultureInfo.InvariantCulture) ?? "0",
            uploaded is { } bytes ? Sizes.Format(bytes) : "-",
            ratio is { } r ? string.Create(CultureInfo.InvariantCulture, $"{r:0.00}") : "-",
            eta is { } seconds ? Eta(seconds) : "-",
            name,
        ];
    }

    // A waiting transfer shows its place in the queue ("queued #2", 0 starts next); a goal-stopped one says so.
    private static string State(JsonObject item)
    {
        var state = item["state"]?.GetValue<string>()?.Replace('_', ' ') ?? item["status"]?.GetValue<string>() ?? "?";
        return state switch
        {
            "queued" when Long(item["queue_position"]) is { } position => string.Create(CultureInfo.InvariantCulture, $"queued #{position}"),
            "completed" when item["stop_reason"] is JsonValue => "goal met",
            _ => state,
        };
    }

    private static long? Long(JsonNode? node) => node is JsonValue value && value.TryGetValue<long>(out var number) ? number : null;

    private static string Rate(JsonNode? node) =>
        node is JsonValue value && value.TryGetValue<double>(out var rate) && rate >= 1 ? Sizes.PerSecond(rate) : "-";

    private static string Eta(long seconds)
    {
        var span = TimeSpan.FromSeconds(seconds);
        return span.TotalHours >= 1
            ? string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalHours}h{span.Minutes:00}m")
            : string.Create(CultureInfo.InvariantCulture, $"{span.Minutes}m{span.Seconds:00}s");
    }
}
