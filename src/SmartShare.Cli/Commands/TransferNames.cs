using System.Text.Json.Nodes;
using SmartShare.Node.Client;

namespace SmartShare.Cli.Commands;

/// <summary>
/// How a command names one transfer (TRANSFER): its full hash, a unique prefix of its key (sd hash or info hash, at
/// least <see cref="MinPrefix"/> hex digits) or its exact name. The one place every transfer command resolves a name;
/// an ambiguous or unknown name is bad input (a <see cref="FormatException"/>, exit 2) that lists the candidates.
/// </summary>
internal static class TransferNames
{
    public const int MinPrefix = 4;

    public const string Help = "A transfer: its sd hash or info hash, a unique prefix of it (at least 4 hex digits), or its exact name (`smartshare list` shows them).";

    private const int PageSize = 1000;
    private const int ListedCandidates = 10;

    /// <summary>The transfer <paramref name="name"/> names, as <c>file_list</c> describes it.</summary>
    /// <exception cref="FormatException">No transfer, or more than one, answers to the name.</exception>
    public static async Task<JsonObject> ResolveAsync(NodeApiClient api, string name, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(api);
        var text = name.Trim();
        if (text.Length == 0)
        {
            throw new FormatException("Name a transfer: its hash, a prefix of at least 4 hex digits, or its exact name.");
        }

        var all = await ListAsync(api, cancellationToken);
        var lower = text.ToLowerInvariant();
        var isPrefix = lower.Length >= MinPrefix && lower.All(Uri.IsHexDigit);
        var matches = all
            .Where(item => (isPrefix && Key(item).StartsWith(lower, StringComparison.Ordinal))
                || string.Equals(item["name"]?.GetValue<string>(), text, StringComparison.Ordinal))
            .ToList();
        return matches.Count switch
        {
            1 => matches[0],
            0 => throw new FormatException(
                $"No transfer is named '{text}'{(lower.All(Uri.IsHexDigit) && lower.Length < MinPrefix ? $" (a hash prefix needs at least {MinPrefix} hex digits)" : string.Empty)}; `smartshare list` shows the node's transfers."),
            _ => throw new FormatException(
                $"'{text}' names {matches.Count} transfers; give more of the hash: "
                + string.Join(", ", matches.Take(ListedCandidates).Select(Describe))
                + (matches.Count > ListedCandidates ? " …" : ".")),
        };
    }

    /// <summary>The transfer's key (sd hash or info hash) as file_list gives it.</summary>
    public static string Key(JsonObject item) =>
        item["key"]?.GetValue<string>() ?? item["sd_hash"]?.GetValue<string>() ?? item["info_hash"]?.GetValue<string>() ?? string.Empty;

    /// <summary>"name (type, first 12 digits of the key)" for sentences.</summary>
    public static string Describe(JsonObject item)
    {
        var key = Key(item);
        return $"{item["name"]?.GetValue<string>() ?? "(name not known yet)"} ({item["type"]?.GetValue<string>() ?? "transfer"} {key[..Math.Min(12, key.Length)]})";
    }

    private static async Task<List<JsonObject>> ListAsync(NodeApiClient api, CancellationToken cancellationToken)
    {
        var all = new List<JsonObject>();
        for (var page = 1; ; page++)
        {
            var answer = await api.CallAsync("file_list", new JsonObject { ["page"] = page, ["page_size"] = PageSize }, cancellationToken);
            var items = answer?["items"] as JsonArray ?? [];
            all.AddRange(items.OfType<JsonObject>().Select(item => (JsonObject)item.DeepClone()));
            if (items.Count < PageSize || page >= (answer?["total_pages"]?.GetValue<int>() ?? page))
            {
                return all;
            }
        }
    }
}
