using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SmartShare.Node.Settings;

/// <summary>
/// One setting: how to read it from JSON (the file, <c>settings_set</c>, flags) and from text (environment
/// variables), how to check it, and whether a running node picks a change up or needs a restart.
/// Parsers throw <see cref="FormatException"/> with the part of a sentence after the key ("must be ...").
/// </summary>
internal sealed class SettingDefinition
{
    private readonly Func<JsonNode?, object> _parse;
    private readonly Func<string, JsonNode?> _fromText;
    private readonly Func<NodeSettings, object, NodeSettings> _apply;
    private readonly Func<NodeSettings, JsonNode?> _read;

    private SettingDefinition(
        string key,
        bool requiresRestart,
        string description,
        Func<JsonNode?, object> parse,
        Func<string, JsonNode?> fromText,
        Func<NodeSettings, object, NodeSettings> apply,
        Func<NodeSettings, JsonNode?> read)
    {
        Key = key;
        RequiresRestart = requiresRestart;
        Description = description;
        _parse = parse;
        _fromText = fromText;
        _apply = apply;
        _read = read;
    }

    public static IReadOnlyList<SettingDefinition> All { get; } =
    [
        Text(NodeSettingKeys.DownloadDirectory, false, "Folder downloads are written to.", ParseDirectory, (s, v) => s with { DownloadDirectory = v }, s => s.DownloadDirectory),
        Integer(NodeSettingKeys.Port, true, "LBRY DHT UDP and blob-exchange TCP port (0 picks a free one).", 0, 65535, (s, v) => s with { Port = v }, s => s.Port),
        Integer(NodeSettingKeys.BtPort, true, "BitTorrent peer TCP port, and the Mainline DHT's UDP port; 0 picks a free one.", 0, 65535, (s, v) => s with { BtPort = v }, s => s.BtPort),
        Text(NodeSettingKeys.BindAddress, true, "IP address the DHT and blob exchange listen on.", ParseAddress, (s, v) => s with { BindAddress = v }, s => s.BindAddress),
        Text(NodeSettingKeys.Api, true, "URL of the JSON-RPC API; loopback only.", ParseApiUrl, (s, v) => s with { Api = v }, s => s.Api),
        EndPointList(NodeSettingKeys.Bootstrap, "LBRY DHT nodes to join through, HOST:PORT (comma-separated in the environment variable).", (s, v) => s with { Bootstrap = v }, s => s.Bootstrap),
        EndPointList(NodeSettingKeys.BtBootstrap, "Mainline DHT nodes to join through, HOST:PORT (comma-separated in the environment variable); none by default.", (s, v) => s with { BtBootstrap = v }, s => s.BtBootstrap),
        Boolean(NodeSettingKeys.BtDht, true, "Run the Mainline DHT (BitTorrent's trackerless peer finding) on the UDP side of bt_port.", (s, v) => s with { BtDht = v }, s => s.BtDht),
        Text(NodeSettingKeys.BtEncryption, true, "BitTorrent protocol encryption: prefer (encrypt when the peer can, else plain), require (encrypted peers only) or disable.", ParseEncryption, (s, v) => s with { BtEncryption = v }, s => s.BtEncryption),
        Boolean(NodeSettingKeys.AllowLan, true, "Accept loopback and private addresses as DHT contacts and peers.", (s, v) => s with { AllowLan = v }, s => s.AllowLan),
        Integer(NodeSettingKeys.MaxConnectionsPerDownload, false, "Peers one download fetches from at once.", 1, 1000, (s, v) => s with { MaxConnectionsPerDownload = v }, s => s.MaxConnectionsPerDownload),
        Boolean(NodeSettingKeys.Announce, true, "Announce local streams to the DHT.", (s, v) => s with { Announce = v }, s => s.Announce),
        Integer(NodeSettingKeys.MaxUploadRate, false, "Upload limit for serving blobs, in KiB/s shared by all peers; 0 for none.", 0, int.MaxValue, (s, v) => s with { MaxUploadKibPerSecond = v }, s => s.MaxUploadKibPerSecond),
    ];

    public string Key { get; }

    /// <summary>True when a running node keeps the old value until it restarts.</summary>
    public bool RequiresRestart { get; }

    public string Description { get; }

    public static SettingDefinition? Find(string key) => All.FirstOrDefault(definition => definition.Key == key);

    public static string KnownKeys => string.Join(", ", All.Select(definition => definition.Key));

    /// <summary>Checks a JSON value and returns the settings with it applied.</summary>
    public NodeSettings Apply(NodeSettings settings, JsonNode? value) => _apply(settings, _parse(value));

    /// <summary>The JSON value an environment variable's text stands for (not yet checked).</summary>
    public JsonNode? FromText(string text) => _fromText(text);

    public JsonNode? Read(NodeSettings settings) => _read(settings);

    private static SettingDefinition Text(string key, bool restart, string description, Func<string, string> check, Func<NodeSettings, string, NodeSettings> apply, Func<NodeSettings, string> read) =>
        new(
            key,
            restart,
            description,
            value => check(value is JsonValue json && json.TryGetValue<string>(out var text) ? text : throw new FormatException($"must be a string, not {Describe(value)}")),
            text => JsonValue.Create(text),
            (s, v) => apply(s, (string)v),
            s => JsonValue.Create(read(s)));

    private static SettingDefinition EndPointList(string key, string description, Func<NodeSettings, IReadOnlyList<string>, NodeSettings> apply, Func<NodeSettings, IReadOnlyList<string>> read) =>
        new(
            key,
            true,
            description,
            ParseBootstrap,
            text => new JsonArray([.. text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(item => (JsonNode?)JsonValue.Create(item))]),
            (s, v) => apply(s, (IReadOnlyList<string>)v),
            s => new JsonArray([.. read(s).Select(item => (JsonNode?)JsonValue.Create(item))]));

    private static SettingDefinition Integer(string key, bool restart, string description, int min, int max, Func<NodeSettings, int, NodeSettings> apply, Func<NodeSettings, int> read) =>
        new(
            key,
            restart,
            description,
            value => value is JsonValue json && json.GetValueKind() == JsonValueKind.Number && json.TryGetValue<int>(out var number) && number >= min && number <= max
                ? number
                : throw new FormatException($"must be a whole number from {min} to {max}, not {Describe(value)}"),
            text => int.TryParse(text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number) ? JsonValue.Create(number) : JsonValue.Create(text),
            (s, v) => apply(s, (int)v),
            s => JsonValue.Create(read(s)));

    private static SettingDefinition Boolean(string key, bool restart, string description, Func<NodeSettings, bool, NodeSettings> apply, Func<NodeSettings, bool> read) =>
        new(
            key,
            restart,
            description,
            value => value is JsonValue json && json.TryGetValue<bool>(out var flag) ? flag : throw new FormatException($"must be true or false, not {Describe(value)}"),
            text => text.Trim().ToUpperInvariant() switch
            {
                "TRUE" or "1" or "YES" or "ON" => JsonValue.Create(true),
                "FALSE" or "0" or "NO" or "OFF" => JsonValue.Create(false),
                _ => JsonValue.Create(text),
            },
            (s, v) => apply(s, (bool)v),
            s => JsonValue.Create(read(s)));

    private static string ParseDirectory(string text) =>
        string.IsNullOrWhiteSpace(text) ? throw new FormatException("must be a folder path, not empty") : Path.GetFullPath(text);

    private static string ParseEncryption(string text) =>
        text.Trim().ToLowerInvariant() is var mode && mode is "prefer" or "require" or "disable"
            ? mode
            : throw new FormatException($"must be prefer, require or disable, not '{text}'");

    private static string ParseAddress(string text) =>
        IPAddress.TryParse(text.Trim(), out var address) ? address.ToString() : throw new FormatException($"must be an IP address such as 0.0.0.0, not '{text}'");

    private static string ParseApiUrl(string text)
    {
        if (!Uri.TryCreate(text.Trim(), UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttp || uri.AbsolutePath != "/")
        {
            throw new FormatException($"must be an http URL with a port, such as {NodeInfo.DefaultApiUrl}, not '{text}'");
        }

        if (!IsLoopback(uri.Host))
        {
            throw new FormatException(
                $"must be a loopback address (127.0.0.1, ::1 or localhost), not '{uri.Host}': the API has no key yet, so it never listens beyond this machine");
        }

        return uri.GetLeftPart(UriPartial.Authority);
    }

    private static List<string> ParseBootstrap(JsonNode? value)
    {
        if (value is not JsonArray array)
        {
            throw new FormatException($"must be a list of HOST:PORT strings, not {Describe(value)}");
        }

        var items = new List<string>();
        foreach (var item in array)
        {
            var text = item is JsonValue json && json.TryGetValue<string>(out var s) ? s.Trim() : throw new FormatException($"must hold HOST:PORT strings, not {Describe(item)}");
            var colon = text.LastIndexOf(':');
            if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            {
                throw new FormatException($"must hold HOST:PORT with a port from 1 to 65535, not '{text}'");
            }

            items.Add(text);
        }

        return items;
    }

    internal static bool IsLoopback(string host) =>
        string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
        || IPAddress.TryParse(host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address);

    private static string Describe(JsonNode? value) => value is null ? "null" : value.ToJsonString();
}
