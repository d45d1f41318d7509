using System.CommandLine;
using System.Text.Json.Nodes;

namespace SmartShare.Cli.Commands;

/// <summary><c>smartshare status</c>: what the running node reports (its API's <c>status</c> method).</summary>
internal static class StatusCommand
{
    public static Command Create()
    {
        var command = new Command("status", "Show what the running node is doing (API, DHT, uptime).");
        command.SetAction(CommandContext.Action(async (context, cancellationToken) =>
        {
            using var client = await context.ConnectAsync(cancellationToken);
            var status = (await client.CallAsync("status", cancellationToken: cancellationToken)) as JsonObject
                ?? throw new Node.Client.NodeApiException(0, $"The node at {client.ApiUri} answered 'status' without an object.");
            var dht = status["dht"] as JsonObject;
            var joined = dht?["joined"]?.GetValue<bool>() == true ? "joined" : "not joined yet";
            context.Output.Info($"SmartShare {status["version"]} at {status["api"]}, up {FormatUptime(status["uptime_seconds"]?.GetValue<long>() ?? 0)}; data in {status["data_dir"]}.");
            context.Output.Info($"LBRY DHT on UDP port {dht?["udp_port"]}: {dht?["contacts"]} contacts, {joined}.");
            context.Output.Succeed($"A node is running at {status["api"]}.", status);
            return ExitCodes.Success;
        }));
        return command;
    }

    private static string FormatUptime(long seconds)
    {
        var span = TimeSpan.FromSeconds(seconds);
        return span.TotalHours >= 1 ? $"{(int)span.TotalHours} h {span.Minutes} min" : span.TotalMinutes >= 1 ? $"{span.Minutes} min {span.Seconds} s" : $"{span.Seconds} s";
    }
}
