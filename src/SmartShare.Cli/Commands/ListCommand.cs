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
        var command = new Command("list", "List downloads and shared files with their status.");
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
            foreach (var item in items.OfType<JsonObject>())
            {
                text.AppendLine(Describe(item));
            }

            text.Append(items.Count switch
            {
                0 => "No files yet: `smartshare share FILE` or `smartshare get SD_HASH|FILE.torrent` adds one.",
                1 => "1 file.",
                _ => $"{items.Count} files.",
            });
            context.Output.Succeed(text.ToString(), new JsonObject { ["items"] = items, ["total_items"] = items.Count });
            return ExitCodes.Success;
        }));
        return command;
    }

    private static string Describe(JsonObject item)
    {
        var status = item["status"]?.GetValue<string>() ?? "?";
        var name = item["file_name"]?.GetValue<string>() ?? item["stream_name"]?.GetValue<string>() ?? "(name not known yet)";
        var sdHash = item["sd_hash"]?.GetValue<string>() ?? item["info_hash"]?.GetValue<string>() ?? string.Empty;
        var progress = item["bytes_total"]?.GetValue<long>() is > 0 and var total
            ? string.Create(CultureInfo.InvariantCulture, $" {100.0 * (item["bytes_have"]?.GetValue<long>() ?? 0) / total:0.0}%")
            : item["written_bytes"]?.GetValue<long>() is { } size ? $" {Sizes.Format(size)}" : string.Empty;
        var error = item["error"]?.GetValue<string>() is { } reason ? $" ({reason})" : string.Empty;
        var kind = item["type"]?.GetValue<string>() == "torrent" ? $"{item["kind"]?.GetValue<string>()}/bt" : item["kind"]?.GetValue<string>();
        return $"{status,-11} {kind,-11} {sdHash[..Math.Min(12, sdHash.Length)]}  {name}{progress}{error}";
    }
}
