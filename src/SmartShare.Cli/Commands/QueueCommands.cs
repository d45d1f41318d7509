using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;

namespace SmartShare.Cli.Commands;

/// <summary>
/// <c>queue TRANSFER --top|--up|--down|--bottom|--position N</c> (<c>transfer_queue_move</c>) and <c>goals [TRANSFER]
/// --ratio R --time MIN --idle MIN --action stop|remove</c>: a torrent's own seeding goals (<c>transfer_set_goals</c>),
/// or without TRANSFER the node's (the seed_* settings).
/// </summary>
internal static class QueueCommands
{
    public static Command Queue()
    {
        var transfer = new Argument<string>("TRANSFER") { Description = TransferNames.Help };
        var top = new Option<bool>("--top") { Description = "First in the queue: it starts next." };
        var up = new Option<bool>("--up") { Description = "One place up." };
        var down = new Option<bool>("--down") { Description = "One place down." };
        var bottom = new Option<bool>("--bottom") { Description = "Last in the queue." };
        var position = new Option<int?>("--position") { Description = "To this place (0 is the top)." };
        var command = new Command("queue", "Move a transfer in the queue; waiting transfers start in queue order as download (max_active_downloads) or seed (max_active_seeds) slots free.")
        {
            transfer, top, up, down, bottom, position,
        };
        command.SetAction(CommandContext.Action(async (context, cancellationToken) =>
        {
            var parse = context.Parse;
            var chosen = new List<JsonNode>();
            foreach (var (option, name) in new[] { (top, "top"), (up, "up"), (down, "down"), (bottom, "bottom") })
            {
                if (parse.GetValue(option))
                {
                    chosen.Add(JsonValue.Create(name));
                }
            }

            if (parse.GetValue(position) is { } place)
            {
                chosen.Add(place >= 0 ? JsonValue.Create(place) : throw new FormatException($"--position must be 0 (the top) or more, not {place}."));
            }

            if (chosen.Count != 1)
            {
                throw new FormatException("Say where to move it with exactly one of --top, --up, --down, --bottom or --position N.");
            }

            await using var node = await NodeConnection.OpenAsync(context, NodeUse.Local, null, cancellationToken);
            var item = await TransferNames.ResolveAsync(node.Api, parse.GetValue(transfer)!, cancellationToken);
            var key = TransferNames.Key(item);
            var after = await node.Api.CallAsync("transfer_queue_move", new JsonObject { ["key"] = key, ["to"] = chosen[0] }, cancellationToken) as JsonObject;
            var now = after?["queue_position"]?.GetValue<int>();
            var state = after?["state"]?.GetValue<string>() ?? "?";
            context.Output.Succeed(
                $"{TransferNames.Describe(item)} is now at queue position {now} (0 starts next); {state}.",
                new JsonObject { ["key"] = key, ["name"] = item["name"]?.DeepClone(), ["queue_position"] = now, ["state"] = state });
            return ExitCodes.Success;
        }));
        return command;
    }

    public static Command Goals()
    {
        var transfer = new Argument<string?>("TRANSFER") { Description = "A torrent (" + TransferNames.Help + "); without it, the node's goals for every downloaded torrent.", Arity = ArgumentArity.ZeroOrOne };
        var ratio = new Option<string?>("--ratio") { Description = "Stop seeding once it uploaded R times its size; 'none' for no limit, 'default' (a torrent only) for the node's." };
        var time = new Option<string?>("--time") { Description = "Stop after MIN minutes of seeding; 'none' or 'default' as for --ratio." };
        var idle = new Option<string?>("--idle") { Description = "Stop after MIN minutes without uploading; 'none' or 'default' as for --ratio." };
        var action = new Option<string?>("--action") { Description = "What a met goal does: stop (it stays listed, completed) or remove (it leaves the list; files are kept); 'default' (a torrent only) for the node's." };
        var command = new Command("goals", "Show or set seeding goals: a torrent's own with TRANSFER, else the node's (seed_ratio_limit, seed_time_limit, seed_idle_limit, seed_goal_action). Shares follow only goals of their own.")
        {
            transfer, ratio, time, idle, action,
        };
        command.SetAction(CommandContext.Action(async (context, cancellationToken) =>
        {
            var parse = context.Parse;
            var name = parse.GetValue(transfer);
            var values = new (string Flag, string Param, string Setting, string? Text, bool IsRatio)[]
            {
                ("--ratio", "ratio", "seed_ratio_limit", parse.GetValue(ratio), true),
                ("--time", "seeding_time", "seed_time_limit", parse.GetValue(time), false),
                ("--idle", "idle_time", "seed_idle_limit", parse.GetValue(idle), false),
                ("--action", "action", "seed_goal_action", parse.GetValue(action), false),
            };
            await using var node = await NodeConnection.OpenAsync(context, NodeUse.Local, null, cancellationToken);
            if (name is null)
            {
                foreach (var value in values.Where(value => value.Text is not null))
                {
                    var json = Value(value.Flag, value.Text!, value.IsRatio, value.Param == "action", allowDefault: false);
                    await node.Api.CallAsync("settings_set", new JsonObject { ["key"] = value.Setting, ["value"] = json }, cancellationToken);
                }

                var settings = await node.Api.CallAsync("settings_get", null, cancellationToken) as JsonObject ?? [];
                var goals = new JsonObject();
                foreach (var value in values)
                {
                    goals[value.Setting] = settings[value.Setting]?.DeepClone();
                }

                context.Output.Succeed($"The node's seeding goals for downloaded torrents: {Describe(goals["seed_ratio_limit"], goals["seed_time_limit"], goals["seed_idle_limit"], goals["seed_goal_action"])}.", goals);
                return ExitCodes.Success;
            }

            var item = await TransferNames.ResolveAsync(node.Api, name, cancellationToken);
            var key = TransferNames.Key(item);
            var parameters = new JsonObject { ["key"] = key };
            foreach (var value in values.Where(value => value.Text is not null))
            {
                parameters[value.Param] = Value(value.Flag, value.Text!, value.IsRatio, value.Param == "action", allowDefault: true);
            }

            var after = parameters.Count > 1
                ? await node.Api.CallAsync("transfer_set_goals", parameters, cancellationToken) as JsonObject
                : item;
            var own = after?["seeding_goals"] as JsonObject ?? [];
            context.Output.Succeed(
                $"Seeding goals of {TransferNames.Describe(item)}: {Describe(own["ratio"], own["seeding_time"], own["idle_time"], own["action"])}"
                + (after?["stop_reason"]?.GetValue<string>() is { } reason ? $"; it stopped: {reason}." : "."),
                new JsonObject { ["key"] = key, ["name"] = item["name"]?.DeepClone(), ["seeding_goals"] = own.DeepClone(), ["stop_reason"] = after?["stop_reason"]?.DeepClone() });
            return ExitCodes.Success;
        }));
        return command;
    }

    // "none" is 0 (no limit); "default" is null (the node's setting, for a torrent's own goals).
    private static JsonValue? Value(string flag, string text, bool isRatio, bool isAction, bool allowDefault)
    {
        var trimmed = text.Trim().ToLowerInvariant();
        if (trimmed == "default")
        {
            return allowDefault ? null : throw new FormatException($"{flag} default applies to a torrent's own goals; for the node's, give a value or 'none'.");
        }

        if (isAction)
        {
            return trimmed is "stop" or "remove" ? JsonValue.Create(trimmed) : throw new FormatException($"{flag} must be stop or remove, not '{text}'.");
        }

        if (trimmed == "none")
        {
            return isRatio ? JsonValue.Create(0.0) : JsonValue.Create(0);
        }

        if (isRatio)
        {
            return double.TryParse(trimmed, NumberStyles.Float, CultureInfo.InvariantCulture, out var ratio) && double.IsFinite(ratio) && ratio >= 0
                ? JsonValue.Create(ratio)
                : throw new FormatException($"{flag} must be a ratio such as 2 or 1.5, 'none' or 'default', not '{text}'.");
        }

        return int.TryParse(trimmed, NumberStyles.None, CultureInfo.InvariantCulture, out var minutes)
            ? JsonValue.Create(minutes)
            : throw new FormatException($"{flag} must be whole minutes, 'none' or 'default', not '{text}'.");
    }

    private static string Describe(JsonNode? ratio, JsonNode? time, JsonNode? idle, JsonNode? action)
    {
        static bool Set(JsonNode? node) => node is JsonValue value && value.TryGetValue<double>(out var number) && number > 0;
        var parts = new List<string>();
        if (Set(ratio))
        {
            parts.Add($"ratio {ratio!.GetValue<double>().ToString("0.0##", CultureInfo.InvariantCulture)}");
        }

        if (Set(time))
        {
            parts.Add($"{time!.GetValue<double>()} min seeding");
        }

        if (Set(idle))
        {
            parts.Add($"{idle!.GetValue<double>()} min idle");
        }

        return parts.Count == 0 ? "none (it seeds on)" : $"{string.Join(", ", parts)}, then {action?.GetValue<string>() ?? "stop"}";
    }
}
