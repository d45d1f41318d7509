using System.Text.Json;
using System.Text.Json.Nodes;
using SmartShare.Node.Api;
using SmartShare.Node.Hosting;

namespace SmartShare.Node.Transfers.Queueing;

/// <summary><c>transfer_queue_move</c> and <c>transfer_set_goals</c>: a transfer's place in the queue and its own seeding goals.</summary>
internal sealed class QueueRpcMethods(TransferManager transfers, TransferScheduler queue, NodeRuntime runtime) : IRpcMethodProvider
{
    // A year of minutes: far past any sensible goal, small enough for every clock.
    private const int MaxMinutes = 525_600;
    private const double MaxRatio = 10_000;

    public void Register(JsonRpcMethods methods)
    {
        ArgumentNullException.ThrowIfNull(methods);
        methods.Add(
            "transfer_queue_move",
            "Moves a transfer in the queue ({\"key\", \"to\": \"top\", \"up\", \"down\", \"bottom\" or a position from 0}); waiting transfers start in queue order as slots free. Answers the transfer's view (queue_position).",
            (RpcParams parameters, CancellationToken _) =>
            {
                var key = ReadKey(parameters);
                QueueMove move;
                try
                {
                    move = QueueMove.Parse(parameters.GetNode("to") ?? throw new FormatException("Say where to move it: 'to' is \"top\", \"up\", \"down\", \"bottom\" or a position from 0."));
                }
                catch (FormatException ex)
                {
                    throw JsonRpcException.InvalidParams(ex.Message).WithKind("bad_input");
                }

                queue.Move(key, move);
                return Task.FromResult<JsonNode?>(View(key));
            });
        methods.Add(
            "transfer_set_goals",
            "Sets a torrent's own seeding goals ({\"key\", \"ratio\"?: uploaded over size, \"seeding_time\"?: minutes seeding, \"idle_time\"?: minutes without uploading, \"action\"?: \"stop\" or \"remove\"}); 0 means no limit for it, null goes back to the node's setting (seed_ratio_limit, seed_time_limit, seed_idle_limit, seed_goal_action), a name left out is unchanged. Answers the transfer's view (seeding_goals).",
            (RpcParams parameters, CancellationToken _) =>
            {
                var key = ReadKey(parameters);
                if (key.Network != TransferNetwork.Torrent)
                {
                    throw JsonRpcException.InvalidParams($"{key} is an LBRY stream: its blobs are served while it is listed, so seeding goals apply to torrents only. Remove it (file_delete) to stop sharing it.").WithKind("bad_input");
                }

                var current = queue.Schedule.Ensure(key).Goals;
                var goals = new SeedingGoalOverrides(
                    Read(parameters, "ratio", current.Ratio, ReadRatio),
                    Read(parameters, "seeding_time", current.TimeMinutes, node => ReadMinutes(node, "seeding_time")),
                    Read(parameters, "idle_time", current.IdleMinutes, node => ReadMinutes(node, "idle_time")),
                    Read(parameters, "action", current.Action, ReadAction));
                queue.SetGoals(key, goals);
                return Task.FromResult<JsonNode?>(View(key));
            });
    }

    private TransferKey ReadKey(RpcParams parameters)
    {
        if (!parameters.Has("key"))
        {
            throw JsonRpcException.InvalidParams("Name the transfer: 'key' (an sd hash or an info hash).").WithKind("bad_input");
        }

        var text = parameters.GetString("key");
        if (!TransferKey.TryParse(text, out var key))
        {
            throw JsonRpcException.InvalidParams($"The parameter 'key' must be an sd hash (96 hex digits) or an info hash (40 hex digits), not '{Sentences.Shorten(text)}'.").WithKind("bad_input");
        }

        return transfers.Find(key) is null
            ? throw JsonRpcException.InvalidParams($"The node lists no transfer {key}.").WithKind("bad_input")
            : key;
    }

    private JsonObject View(TransferKey key)
    {
        var transfer = transfers.Find(key) ?? throw JsonRpcException.InvalidParams($"The node lists no transfer {key}.").WithKind("bad_input");
        return TransferView.ToJson(transfer, transfers.Network(key).Describe(transfer, runtime.StreamLinks), runtime.StreamLinks);
    }

    // Left out: unchanged; null: back to the node's setting; else the value read.
    private static T? Read<T>(RpcParams parameters, string name, T? current, Func<JsonNode, T> read)
        where T : struct
    {
        if (parameters.Raw is not { } raw || !raw.TryGetPropertyValue(name, out var node))
        {
            return current;
        }

        try
        {
            return node is null ? null : read(node);
        }
        catch (FormatException ex)
        {
            throw JsonRpcException.InvalidParams(ex.Message).WithKind("bad_input");
        }
    }

    private static double ReadRatio(JsonNode node) =>
        node is JsonValue value && value.GetValueKind() == JsonValueKind.Number && value.TryGetValue<double>(out var ratio) && double.IsFinite(ratio) && ratio is >= 0 and <= MaxRatio
            ? ratio
            : throw new FormatException($"The parameter 'ratio' must be a number from 0 (no limit) to {MaxRatio}, or null for the node's setting, not {node.ToJsonString()}.");

    private static int ReadMinutes(JsonNode node, string name) =>
        node is JsonValue value && value.GetValueKind() == JsonValueKind.Number && value.TryGetValue<int>(out var minutes) && minutes is >= 0 and <= MaxMinutes
            ? minutes
            : throw new FormatException($"The parameter '{name}' must be whole minutes from 0 (no limit) to {MaxMinutes}, or null for the node's setting, not {node.ToJsonString()}.");

    private static SeedingGoalAction ReadAction(JsonNode node) =>
        node is JsonValue value && value.TryGetValue<string>(out var text)
            ? SeedingGoals.ParseAction(text)
            : throw new FormatException($"The parameter 'action' must be \"stop\" or \"remove\", or null for the node's setting, not {node.ToJsonString()}.");
}
