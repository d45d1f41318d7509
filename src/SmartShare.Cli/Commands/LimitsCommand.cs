using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using SmartShare.Node.Settings;

namespace SmartShare.Cli.Commands;

/// <summary>
/// <c>smartshare limits [TRANSFER] [--down N] [--up N] [--alt-down N] [--alt-up N] [--alt on|off] [--schedule S]</c>:
/// shows or sets the node's speed limits (the limit settings, through <c>settings_set</c>, in effect at once), or one
/// transfer's own (<c>transfer_set_limits</c>). Rates are KiB/s; 0 means no limit.
/// </summary>
internal static class LimitsCommand
{
    public static Command Create()
    {
        var transfer = new Argument<string?>("TRANSFER") { Description = "A transfer whose own limits to show or set (else the node's). " + TransferNames.Help, Arity = ArgumentArity.ZeroOrOne };
        var down = Rate("--down", "Download limit in KiB/s (0: none).");
        var up = Rate("--up", "Upload limit in KiB/s (0: none).");
        var altDown = Rate("--alt-down", "Alternative download limit in KiB/s (0: none).");
        var altUp = Rate("--alt-up", "Alternative upload limit in KiB/s (0: none).");
        var alt = new Option<string?>("--alt") { Description = "Turn the alternative speeds on or off by hand." };
        alt.AcceptOnlyFromAmong("on", "off");
        var schedule = new Option<string?>("--schedule")
        {
            Description = "When the alternative speeds turn on by themselves, in the node's local time: DAYS HH:MM-HH:MM (days: all, weekdays, weekend, mon … sun, ranges like mon-fri), or on / off.",
        };
        var command = new Command(
            "limits",
            "Show or set the speed limits: the node's (shared by LBRY and BitTorrent), its alternative set and schedule, or one transfer's own. Changes apply within a second.")
        {
            transfer, down, up, altDown, altUp, alt, schedule,
        };
        command.SetAction(CommandContext.Action(async (context, cancellationToken) =>
        {
            var parse = context.Parse;
            await using var node = await NodeConnection.OpenAsync(context, NodeUse.Local, null, cancellationToken);
            if (parse.GetValue(transfer) is { } name)
            {
                if (parse.GetValue(altDown) is not null || parse.GetValue(altUp) is not null || parse.GetValue(alt) is not null || parse.GetValue(schedule) is not null)
                {
                    throw new FormatException("A transfer has only its own --down and --up limits; the alternative speeds and the schedule are the node's (leave TRANSFER out).");
                }

                return await TransferAsync(context, node, name, parse.GetValue(down), parse.GetValue(up), cancellationToken);
            }

            var changes = new List<(string Key, JsonNode? Value)>();
            Add(changes, NodeSettingKeys.MaxDownloadRate, parse.GetValue(down));
            Add(changes, NodeSettingKeys.MaxUploadRate, parse.GetValue(up));
            Add(changes, NodeSettingKeys.AltDownloadRate, parse.GetValue(altDown));
            Add(changes, NodeSettingKeys.AltUploadRate, parse.GetValue(altUp));
            if (parse.GetValue(alt) is { } on)
            {
                changes.Add((NodeSettingKeys.AltSpeedEnabled, on == "on"));
            }

            switch (parse.GetValue(schedule)?.Trim())
            {
                case null:
                    break;
                case "on":
                    changes.Add((NodeSettingKeys.AltSpeedScheduleEnabled, true));
                    break;
                case "off":
                    changes.Add((NodeSettingKeys.AltSpeedScheduleEnabled, false));
                    break;
                case var text:
                    CheckSchedule(text);
                    changes.Add((NodeSettingKeys.AltSpeedSchedule, text));
                    changes.Add((NodeSettingKeys.AltSpeedScheduleEnabled, true));
                    break;
            }

            foreach (var (key, value) in changes)
            {
                await node.Api.CallAsync("settings_set", new JsonObject { ["key"] = key, ["value"] = value }, cancellationToken);
            }

            var status = await node.Api.CallAsync("status", cancellationToken: cancellationToken);
            var limits = status?["limits"] as JsonObject ?? throw new Node.Client.NodeApiException(0, "The node's status has no limits section (an older node?).");
            context.Output.Succeed((changes.Count > 0 ? "Set; in effect now.\n" : string.Empty) + Describe(limits), (JsonObject)limits.DeepClone());
            return ExitCodes.Success;
        }));
        return command;
    }

    /// <summary>The node's limits as lines for a person.</summary>
    internal static string Describe(JsonObject limits)
    {
        var text = new StringBuilder();
        var active = limits["alt_speed_active"]?.GetValue<bool>() == true;
        var scheduled = limits["alt_speed_schedule_enabled"]?.GetValue<bool>() == true;
        text.AppendLine(CultureInfo.InvariantCulture, $"In force:    down {Kib(limits["download_rate_limit"])}, up {Kib(limits["upload_rate_limit"])} ({(active ? "alternative speeds" : "normal speeds")})");
        text.AppendLine(CultureInfo.InvariantCulture, $"Normal:      down {Kib(limits["max_download_rate"])}, up {Kib(limits["max_upload_rate"])}");
        text.AppendLine(CultureInfo.InvariantCulture, $"Alternative: down {Kib(limits["alt_download_rate"])}, up {Kib(limits["alt_upload_rate"])}; {(limits["alt_speed_enabled"]?.GetValue<bool>() == true ? "on by hand" : "off by hand")}");
        text.AppendLine(CultureInfo.InvariantCulture, $"Schedule:    {limits["alt_speed_schedule"]} ({(scheduled ? "on" : "off")}, node's local time)");
        var own = limits["transfers_limited"]?.GetValue<int>() ?? 0;
        text.Append(CultureInfo.InvariantCulture, $"Transfers:   {(own == 0 ? "none has" : own == 1 ? "1 has" : $"{own} have")} limits of their own (`smartshare limits TRANSFER` shows them)");
        return text.ToString();
    }

    private static async Task<int> TransferAsync(CommandContext context, NodeConnection node, string name, int? down, int? up, CancellationToken cancellationToken)
    {
        var item = await TransferNames.ResolveAsync(node.Api, name, cancellationToken);
        var key = TransferNames.Key(item);
        JsonNode? limits = new JsonObject { ["key"] = key, ["download_limit"] = item["download_limit"]?.DeepClone(), ["upload_limit"] = item["upload_limit"]?.DeepClone() };
        if (down is not null || up is not null)
        {
            var parameters = new JsonObject { ["key"] = key };
            if (down is { } d)
            {
                parameters["download_rate"] = d;
            }

            if (up is { } u)
            {
                parameters["upload_rate"] = u;
            }

            limits = await node.Api.CallAsync("transfer_set_limits", parameters, cancellationToken);
        }

        var result = (JsonObject)limits!.DeepClone();
        result["name"] = item["name"]?.DeepClone();
        context.Output.Succeed(
            $"{TransferNames.Describe(item)}: down {Own(result["download_limit"])}, up {Own(result["upload_limit"])}; the node's limits apply on top.",
            result);
        return ExitCodes.Success;
    }

    // Checked before anything is set, so a wrong schedule changes nothing.
    private static void CheckSchedule(string text)
    {
        try
        {
            _ = Node.Limits.SpeedSchedule.Parse(text);
        }
        catch (FormatException ex)
        {
            throw new FormatException($"--schedule {ex.Message}, or on or off.", ex);
        }
    }

    private static Option<int?> Rate(string name, string description)
    {
        var option = new Option<int?>(name) { Description = description };
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int?>() is < 0)
            {
                result.AddError($"{name} must be a whole number of KiB/s, 0 or more (0: no limit).");
            }
        });
        return option;
    }

    private static void Add(List<(string Key, JsonNode? Value)> changes, string key, int? value)
    {
        if (value is { } rate)
        {
            changes.Add((key, rate));
        }
    }

    private static string Kib(JsonNode? node) =>
        node is JsonValue value && value.TryGetValue<long>(out var kib) && kib > 0 ? $"{kib} KiB/s" : "unlimited";

    private static string Own(JsonNode? node) =>
        node is JsonValue value && value.TryGetValue<long>(out var kib) && kib > 0 ? $"{kib} KiB/s" : "no limit of its own";
}
