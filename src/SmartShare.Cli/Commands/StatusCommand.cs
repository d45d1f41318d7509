using System.CommandLine;
using System.Text;
using System.Text.Json.Nodes;
using SmartShare.Cli.Output;

namespace SmartShare.Cli.Commands;

/// <summary>
/// <c>smartshare status</c>: what the running node reports (its API's <c>status</c> method), all of it on stdout:
/// version, uptime, API and data directory, both networks with their DHTs and ports, transfers by state and total rates.
/// </summary>
internal static class StatusCommand
{
    public static Command Create()
    {
        var command = new Command("status", "Show what the running node is doing: version, uptime, both DHTs, ports, transfers and rates.");
        command.SetAction(CommandContext.Action(async (context, cancellationToken) =>
        {
            using var client = await context.ConnectAsync(cancellationToken);
            var status = (await client.CallAsync("status", cancellationToken: cancellationToken)) as JsonObject
                ?? throw new Node.Client.NodeApiException(0, $"The node at {client.ApiUri} answered 'status' without an object.");
            context.Output.Succeed(Describe(status), status);
            return ExitCodes.Success;
        }));
        return command;
    }

    /// <summary>The status as lines for a person, one subject per line.</summary>
    internal static string Describe(JsonObject status)
    {
        var text = new StringBuilder();
        text.AppendLine($"SmartShare {status["version"]}, running at {status["api"]}, up {FormatUptime(Long(status["uptime_seconds"]))}");
        text.AppendLine($"Data:       {status["data_dir"]}");

        var lbry = status["dht"] as JsonObject;
        var blobs = status["blob_exchange"] as JsonObject;
        text.Append($"LBRY:       DHT on UDP {lbry?["udp_port"]}, {Dht(lbry)}");
        text.AppendLine(blobs is null
            ? string.Empty
            : $"; blob exchange on TCP {blobs["tcp_port"]}, {Long(blobs["connections"])} connection(s), {Long(blobs["blobs_served"])} blob(s) served ({Sizes.Format(Long(blobs["bytes_served"]))})");

        var bittorrent = status["networks"]?["bittorrent"] as JsonObject;
        var mainline = bittorrent?["dht"] as JsonObject;
        text.AppendLine(bittorrent is null
            ? "BitTorrent: not running"
            : $"BitTorrent: peers on {PeerTransports(bittorrent)}, {(mainline is null ? "Mainline DHT off" : $"Mainline DHT on UDP {mainline["port"]}, {Dht(mainline)}")}, encryption {bittorrent["encryption"]}");
        text.AppendLine(Ipv6StatusLine.Describe(status));

        if (status["external_address"] is JsonObject external)
        {
            text.AppendLine($"External:   {ExternalAddress(external)}");
        }

        if (LocalDiscoveryLine.Describe(status["local_discovery"]) is { } lan)
        {
            text.AppendLine(lan);
        }

        if (PortMappingText.Describe(status) is { } router)
        {
            text.AppendLine(router);
        }

        if (status["blob_storage"] is JsonObject storage)
        {
            var limit = Long(storage["limit_bytes"]);
            text.AppendLine(
                $"Storage:    blobs {Sizes.Format(Long(storage["used_bytes"]))} of {(limit == 0 ? "no limit" : $"a {Sizes.Format(limit)} limit")}, " +
                $"{Long(storage["plain_file_streams"])} stream(s) served from their plain file ({Sizes.Format(Long(storage["plain_file_bytes"]))})");
        }

        var transfers = status["transfers"] as JsonObject;
        var byState = (transfers?["by_state"] as JsonObject ?? new JsonObject())
            .Where(state => Long(state.Value) > 0)
            .Select(state => $"{Long(state.Value)} {state.Key.Replace('_', ' ')}")
            .ToList();
        var total = Long(transfers?["total"]);
        text.AppendLine($"Transfers:  {(total == 0 ? "none" : $"{total} ({string.Join(", ", byState)})")}");
        text.Append($"Rates:      down {Sizes.PerSecond(Double(transfers?["download_rate"]))}, up {Sizes.PerSecond(Double(transfers?["upload_rate"]))}, {Long(transfers?["peers_connected"])} peer(s) connected");
        if (status["limits"] is JsonObject limits)
        {
            var alternative = limits["alt_speed_active"]?.GetValue<bool>() == true ? "alternative speeds on" : "normal speeds";
            text.AppendLine();
            text.Append($"Limits:     down {Limit(limits["download_rate_limit"])}, up {Limit(limits["upload_rate_limit"])} ({alternative}; `smartshare limits` for more)");
        }

        return text.ToString();
    }

    // "11.77.0.2 (gateway, mainline_dht: 3 votes, since 2026-12-05 10:00 UTC); IPv6 2a00::5 (...)", or why it is unknown.
    private static string ExternalAddress(JsonObject external)
    {
        static string One(JsonObject family)
        {
            var sources = (family["sources"] as JsonArray ?? []).Select(source => source?.GetValue<string>()).OfType<string>();
            var since = DateTimeOffset.TryParse(family["learned_at"]?.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var at)
                ? $", since {at.UtcDateTime:yyyy-MM-dd HH:mm} UTC"
                : string.Empty;
            return $"{family["address"]} ({string.Join(", ", sources)}: {Long(family["votes"])} vote(s){since})";
        }

        var parts = new List<string>();
        if (external["ipv4"] is JsonObject v4)
        {
            parts.Add(One(v4));
        }

        if (external["ipv6"] is JsonObject v6)
        {
            parts.Add("IPv6 " + One(v6));
        }

        return parts.Count > 0
            ? string.Join("; ", parts)
            : $"not known yet ({Long(external["voters"])} peer(s) voted; the router and at least two peers in different networks can tell it)";
    }

    private static string Dht(JsonObject? dht) =>
        $"{Long(dht?["contacts"])} contacts, {(dht?["joined"]?.GetValue<bool>() == true ? "joined" : "not joined yet")}";

    private static string Limit(JsonNode? kibPerSecond) => Long(kibPerSecond) is > 0 and var kib ? $"{kib} KiB/s" : "unlimited";

    private static long Long(JsonNode? node) => node is JsonValue value && value.TryGetValue<long>(out var number) ? number : 0;

    private static double Double(JsonNode? node) => node is JsonValue value && value.TryGetValue<double>(out var number) ? number : 0;

    private static string FormatUptime(long seconds)
    {
        var span = TimeSpan.FromSeconds(seconds);
        return span.TotalDays >= 1 ? $"{(int)span.TotalDays} d {span.Hours} h"
            : span.TotalHours >= 1 ? $"{(int)span.TotalHours} h {span.Minutes} min"
            : span.TotalMinutes >= 1 ? $"{span.Minutes} min {span.Seconds} s"
            : $"{span.Seconds} s";
    }

    // Where peers reach the node: TCP, uTP on the UDP port of the same number, or both (bt_transport).
    private static string PeerTransports(JsonObject bittorrent) => bittorrent["transport"]?.GetValue<string>() switch
    {
        "utp" => $"uTP (UDP {bittorrent["port"]})",
        "both" => $"TCP {bittorrent["port"]} and uTP (UDP {bittorrent["port"]})",
        _ => $"TCP {bittorrent["port"]}",
    };
}
