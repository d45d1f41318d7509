using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using SmartShare.Cli.Output;

namespace SmartShare.Cli.Commands;

/// <summary>
/// <c>remove</c>, <c>pause</c>, <c>resume</c> and <c>files</c>: one transfer, named as <see cref="TransferNames"/>
/// reads it, managed through the node's <c>file_delete</c>, <c>file_set_status</c> and <c>file_list</c> (the running
/// node, else a one-off node on the data directory, so a paused or removed entry stays so at the next start).
/// </summary>
internal static class TransferCommands
{
    /// <summary>The most files one view lists (the node's own bound): the largest torrent it accepts.</summary>
    private const int WholeFileList = 100_000;

    public static Command Remove()
    {
        var transfer = TransferArgument();
        var deleteData = new Option<bool>("--delete-data") { Description = "Also delete its downloaded files (a shared source file is never deleted)." };
        var command = new Command("remove", "Stop a transfer and remove it from the list, keeping its files unless --delete-data; a stream's blobs are deleted either way and it is no longer shared.") { transfer, deleteData };
        command.SetAction(CommandContext.Action(async (context, cancellationToken) =>
        {
            await using var node = await NodeConnection.OpenAsync(context, NodeUse.Local, null, cancellationToken);
            var item = await TransferNames.ResolveAsync(node.Api, context.Parse.GetValue(transfer)!, cancellationToken);
            var key = TransferNames.Key(item);
            var delete = context.Parse.GetValue(deleteData);
            var removed = await node.Api.CallAsync("file_delete", new JsonObject { ["key"] = key, ["delete_from_download_dir"] = delete }, cancellationToken);
            var blobs = item["type"]?.GetValue<string>() == "stream" ? " (its blobs were deleted from the store)" : string.Empty;
            context.Output.Succeed(
                $"Removed {TransferNames.Describe(item)}; {(delete ? "its downloaded files were deleted" : "its files were kept")}{blobs}.",
                new JsonObject { ["key"] = key, ["name"] = item["name"]?.DeepClone(), ["removed"] = removed?.DeepClone() ?? true, ["deleted_data"] = delete });
            return ExitCodes.Success;
        }));
        return command;
    }

    public static Command Pause() => SetStatus("pause", "stop", "Stop a transfer, keeping what it has (`resume` fetches only the rest).", "Paused");

    public static Command Resume() => SetStatus("resume", "start", "Start a paused or failed transfer again; it fetches only what it lacks.", "Resumed");

    public static Command Files()
    {
        var transfer = TransferArgument();
        var selection = new FileSelectionOptions();
        var command = new Command(
            "files",
            "List a transfer's files: index, path, size, bytes held, wanted and priority; for a torrent, --want, --skip, --priority, --sequential and --first-last change which files are fetched and how.")
        {
            transfer,
        };
        selection.AddTo(command);
        command.SetAction(CommandContext.Action(async (context, cancellationToken) =>
        {
            var change = selection.Read(context.Parse);
            await using var node = await NodeConnection.OpenAsync(context, NodeUse.Local, null, cancellationToken);
            var item = await TransferNames.ResolveAsync(node.Api, context.Parse.GetValue(transfer)!, cancellationToken);
            if (change is not null)
            {
                change["key"] = TransferNames.Key(item);
                item = await node.Api.CallAsync("file_set_files", change, cancellationToken) as JsonObject ?? item;
            }

            if ((item["file_count"]?.GetValue<int>() ?? 0) > (item["files"] as JsonArray)?.Count)
            {
                // Views list the first 1,000 files; this command shows them all.
                var whole = await node.Api.CallAsync(
                    "file_list", new JsonObject { ["key"] = TransferNames.Key(item), ["files_limit"] = WholeFileList }, cancellationToken);
                item = whole?["items"]?.AsArray().FirstOrDefault() as JsonObject ?? item;
            }

            var files = item["files"] as JsonArray ?? [];
            var text = new StringBuilder();
            text.AppendLine(CultureInfo.InvariantCulture, $"{"#",3}  {"size",10}  {"have",10}  {"wanted",6}  {"priority",-8}  path");
            foreach (var file in files.OfType<JsonObject>())
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"{file["index"]?.GetValue<int>() ?? 0,3}  {Sizes.Format(file["length"]?.GetValue<long>() ?? 0),10}  {Sizes.Format(file["bytes_have"]?.GetValue<long>() ?? 0),10}  {(file["wanted"]?.GetValue<bool>() ?? true ? "yes" : "no"),6}  {file["priority"]?.GetValue<string>() ?? "normal",-8}  {file["path"]?.GetValue<string>()}");
            }

            var wanted = files.Count(file => file?["wanted"]?.GetValue<bool>() != false);
            text.Append(files.Count == 0
                ? $"{TransferNames.Describe(item)} lists no files yet (its metadata has not arrived){(change is null ? "" : "; the choice applies once it does")}."
                : $"{files.Count} file{(files.Count == 1 ? string.Empty : "s")} in {TransferNames.Describe(item)}{(wanted < files.Count ? $", {wanted} wanted ({Sizes.Format(item["size_when_done"]?.GetValue<long>() ?? 0)} to hold when done)" : string.Empty)}{(item["sequential_download"]?.GetValue<bool>() == true ? ", sequential" : string.Empty)}{(change is null ? "" : "; changed")}.");
            context.Output.Succeed(text.ToString(), new JsonObject { ["key"] = TransferNames.Key(item), ["name"] = item["name"]?.DeepClone(), ["files"] = files.DeepClone() });
            return ExitCodes.Success;
        }));
        return command;
    }

    /// <summary>
    /// <c>peers TRANSFER --connected</c>: the transfer's peers from <c>transfer_peers</c> (a torrent's connected peers with
    /// client, rates and progress; a running stream download's blob-exchange peers).
    /// </summary>
    public static async Task<int> ConnectedPeersAsync(CommandContext context, string name, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        await using var node = await NodeConnection.OpenAsync(context, NodeUse.Local, null, cancellationToken);
        var item = await TransferNames.ResolveAsync(node.Api, name, cancellationToken);
        var key = TransferNames.Key(item);
        var answer = await node.Api.CallAsync("transfer_peers", new JsonObject { ["key"] = key }, cancellationToken) as JsonObject ?? [];
        var peers = answer["peers"] as JsonArray ?? [];
        var text = new StringBuilder();
        if (peers.Count > 0)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"{"address",-40}  {"via",-4}  {"down/s",10}  {"up/s",10}  {"has",6}  client");
        }

        foreach (var peer in peers.OfType<JsonObject>())
        {
            var address = $"{peer["address"]?.GetValue<string>()}:{peer["port"]?.GetValue<int>()}";
            var progress = peer["progress"]?.GetValue<double>() is { } fraction ? string.Create(CultureInfo.InvariantCulture, $"{fraction * 100:0.0}%") : "?";
            var via = peer["transport"]?.GetValue<string>() ?? "-";
            text.AppendLine(CultureInfo.InvariantCulture, $"{address,-40}  {via,-4}  {Rate(peer["download_rate"]),10}  {Rate(peer["upload_rate"]),10}  {progress,6}  {peer["client"]?.GetValue<string>() ?? (peer["connected"]?.GetValue<bool>() == true ? "(connected)" : "(known)")}");
        }

        text.Append(CultureInfo.InvariantCulture, $"{peers.Count} peer{(peers.Count == 1 ? string.Empty : "s")} of {TransferNames.Describe(item)}.");
        if (answer["note"]?.GetValue<string>() is { } note)
        {
            text.Append(' ').Append(note);
        }

        var result = (JsonObject)answer.DeepClone();
        result["name"] = item["name"]?.DeepClone();
        context.Output.Succeed(text.ToString(), result);
        return ExitCodes.Success;
    }

    private static string Rate(JsonNode? rate) => rate?.GetValue<double>() is { } value ? $"{Sizes.Format((long)value)}" : "?";

    private static Argument<string> TransferArgument() => new("TRANSFER") { Description = TransferNames.Help };

    private static Command SetStatus(string name, string status, string description, string done)
    {
        var transfer = TransferArgument();
        var command = new Command(name, description) { transfer };
        command.SetAction(CommandContext.Action(async (context, cancellationToken) =>
        {
            await using var node = await NodeConnection.OpenAsync(context, NodeUse.Local, null, cancellationToken);
            var item = await TransferNames.ResolveAsync(node.Api, context.Parse.GetValue(transfer)!, cancellationToken);
            var key = TransferNames.Key(item);
            var after = await node.Api.CallAsync("file_set_status", new JsonObject { ["key"] = key, ["status"] = status }, cancellationToken) as JsonObject;
            var state = after?["state"]?.GetValue<string>() ?? "?";
            var oneOff = node.IsOneOff && status == "start" ? " No node is running: it carries on at the next `smartshare start`." : string.Empty;
            context.Output.Succeed(
                $"{done} {TransferNames.Describe(item)}; now {state}.{oneOff}",
                new JsonObject { ["key"] = key, ["name"] = item["name"]?.DeepClone(), ["state"] = state, ["transfer"] = after?.DeepClone() });
            return ExitCodes.Success;
        }));
        return command;
    }
}
