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

    private static readonly string[] PseudoFileSystemRoots = ["/proc", "/sys", "/dev"];

    // Rates are KiB/s; times 1024 they are computed in long, so any int fits.
    private const int MaxRate = int.MaxValue;

    public static IReadOnlyList<SettingDefinition> All { get; } =
    [
        Text(NodeSettingKeys.DownloadDirectory, false, "Folder downloads are written to.", ParseDirectory, (s, v) => s with { DownloadDirectory = v }, s => s.DownloadDirectory),
        Integer(NodeSettingKeys.Port, true, "LBRY DHT UDP and blob-exchange TCP port (0 picks a free one).", 0, 65535, (s, v) => s with { Port = v }, s => s.Port),
        Integer(NodeSettingKeys.BtPort, true, "BitTorrent peer TCP port, and the Mainline DHT's UDP port; 0 picks a free one.", 0, 65535, (s, v) => s with { BtPort = v }, s => s.BtPort),
        Text(NodeSettingKeys.BindAddress, true, "IP address the node listens on; by default 0.0.0.0 and, where the machine has IPv6, :: too. :: asks for both families, any other address listens there alone.", ParseAddress, (s, v) => s with { BindAddress = v }, s => s.BindAddress),
        Text(NodeSettingKeys.Api, true, "URL of the JSON-RPC API, http://ADDRESS:PORT; an address beyond loopback needs api_password_hash.", ParseApiUrl, (s, v) => s with { Api = v }, s => s.Api),
        HostList(NodeSettingKeys.ApiHosts, "Host names the API answers to besides localhost and its own addresses (comma-separated in the environment variable).", (s, v) => s with { ApiHosts = v }, s => s.ApiHosts),
        Secret(Text(NodeSettingKeys.ApiPasswordHash, false, "The API password's salted hash (set it with `smartshare password set`); empty for none.", ParsePasswordHash, (s, v) => s with { ApiPasswordHash = v }, s => s.ApiPasswordHash)),
        EndPointList(NodeSettingKeys.Bootstrap, "LBRY DHT nodes to join through, HOST:PORT (comma-separated in the environment variable).", (s, v) => s with { Bootstrap = v }, s => s.Bootstrap),
        EndPointList(NodeSettingKeys.BtBootstrap, "Mainline DHT nodes to join through, HOST:PORT (comma-separated in the environment variable); none by default.", (s, v) => s with { BtBootstrap = v }, s => s.BtBootstrap),
        Boolean(NodeSettingKeys.BtDht, true, "Run the Mainline DHT (BitTorrent's trackerless peer finding) on the UDP side of bt_port.", (s, v) => s with { BtDht = v }, s => s.BtDht),
        Boolean(NodeSettingKeys.LocalDiscovery, true, "Find peers on the LAN by multicast: BEP 14 local service discovery for torrents (never private ones) and its LBRY equivalent for streams, on every up interface with multicast (only the one holding 'bind' when bind is an address).", (s, v) => s with { LocalDiscovery = v }, s => s.LocalDiscovery),
        Text(NodeSettingKeys.BtEncryption, true, "BitTorrent protocol encryption: prefer (encrypt when the peer can, else plain), require (encrypted peers only) or disable.", ParseEncryption, (s, v) => s with { BtEncryption = v }, s => s.BtEncryption),
        Text(NodeSettingKeys.BtTransport, true, "How BitTorrent peers are reached and accepted: both (uTP and TCP; uTP dialed first, TCP too after half a second), tcp or utp.", ParseTransport, (s, v) => s with { BtTransport = v }, s => s.BtTransport),
        Boolean(NodeSettingKeys.AllowLan, true, "Accept loopback and private addresses as DHT contacts and peers.", (s, v) => s with { AllowLan = v }, s => s.AllowLan),
        Integer(NodeSettingKeys.MaxConnectionsPerDownload, false, "Peers one download fetches from at once.", 1, 1000, (s, v) => s with { MaxConnectionsPerDownload = v }, s => s.MaxConnectionsPerDownload),
        Boolean(NodeSettingKeys.Announce, true, "Announce local streams to the DHT.", (s, v) => s with { Announce = v }, s => s.Announce),
        Integer(NodeSettingKeys.MaxUploadRate, false, "Upload limit in KiB/s for the whole node, shared by LBRY and BitTorrent peers; 0 for none.", 0, MaxRate, (s, v) => s with { MaxUploadKibPerSecond = v }, s => s.MaxUploadKibPerSecond),
        Integer(NodeSettingKeys.MaxDownloadRate, false, "Download limit in KiB/s for the whole node, shared by LBRY and BitTorrent peers; 0 for none.", 0, MaxRate, (s, v) => s with { MaxDownloadKibPerSecond = v }, s => s.MaxDownloadKibPerSecond),
        Integer(NodeSettingKeys.AltUploadRate, false, "Alternative upload limit in KiB/s, in force while the alternative speeds are on; 0 for none.", 0, MaxRate, (s, v) => s with { AltUploadKibPerSecond = v }, s => s.AltUploadKibPerSecond),
        Integer(NodeSettingKeys.AltDownloadRate, false, "Alternative download limit in KiB/s, in force while the alternative speeds are on; 0 for none.", 0, MaxRate, (s, v) => s with { AltDownloadKibPerSecond = v }, s => s.AltDownloadKibPerSecond),
        Boolean(NodeSettingKeys.AltSpeedEnabled, false, "Use the alternative speed limits now (the schedule may also turn them on).", (s, v) => s with { AltSpeedEnabled = v }, s => s.AltSpeedEnabled),
        Boolean(NodeSettingKeys.AltSpeedScheduleEnabled, false, "Use the alternative speed limits within alt_speed_schedule.", (s, v) => s with { AltSpeedScheduleEnabled = v }, s => s.AltSpeedScheduleEnabled),
        Text(NodeSettingKeys.AltSpeedSchedule, false, "When the schedule turns the alternative speeds on, in the node's local time: DAYS HH:MM-HH:MM, such as \"weekdays 09:00-17:00\" or \"all 22:00-07:00\".", ParseSchedule, (s, v) => s with { AltSpeedSchedule = v }, s => s.AltSpeedSchedule),
        Integer(NodeSettingKeys.BlobStorageLimit, false, "Most megabytes of blobs to keep (as lbrynet's blob_storage_limit); past it the least recently used cached blobs are deleted, never a share's, a running download's or a listed stream's descriptor; 0 for no limit.", 0, int.MaxValue, (s, v) => s with { BlobStorageLimitMb = v }, s => s.BlobStorageLimitMb),
        Boolean(NodeSettingKeys.KeepStreamBlobs, false, "Keep the encrypted blobs of streams that are shared or fully downloaded; when off, they are served from the plain file, re-encrypted on demand, and their blobs deleted once the file is verified.", (s, v) => s with { KeepStreamBlobs = v }, s => s.KeepStreamBlobs),
        Boolean(NodeSettingKeys.DirectWrites, false, "Write a downloaded stream's file straight to disk where the file system allows (O_DIRECT), so the download takes no page-cache memory; off, it goes through the page cache (in memory right after the download, which helps a player on a slow disk).", (s, v) => s with { DirectWrites = v }, s => s.DirectWrites),
        Integer(NodeSettingKeys.MaxActiveDownloads, false, "Downloads running at once (fetching metadata counts); more wait queued in order. 0 for no limit.", 0, 10_000, (s, v) => s with { MaxActiveDownloads = v }, s => s.MaxActiveDownloads),
        Integer(NodeSettingKeys.MaxActiveSeeds, false, "Downloaded torrents seeding at once; more wait queued to seed (shares are never queued). 0 for no limit.", 0, 10_000, (s, v) => s with { MaxActiveSeeds = v }, s => s.MaxActiveSeeds),
        Number(NodeSettingKeys.SeedRatioLimit, "A downloaded torrent stops seeding once it uploaded this many times its size (e.g. 2.0); 0 for no limit.", 0, 10_000, (s, v) => s with { SeedRatioLimit = v }, s => s.SeedRatioLimit),
        Integer(NodeSettingKeys.SeedTimeLimit, false, "A downloaded torrent stops seeding after this many minutes of seeding; 0 for no limit.", 0, 5_256_000, (s, v) => s with { SeedTimeLimitMinutes = v }, s => s.SeedTimeLimitMinutes),
        Integer(NodeSettingKeys.SeedIdleLimit, false, "A downloaded torrent stops seeding after this many minutes without uploading; 0 for no limit.", 0, 5_256_000, (s, v) => s with { SeedIdleLimitMinutes = v }, s => s.SeedIdleLimitMinutes),
        Text(NodeSettingKeys.SeedGoalAction, false, "What a met seeding goal does: stop (the torrent stays listed, completed) or remove (it leaves the list; its files are kept).", ParseGoalAction, (s, v) => s with { SeedGoalAction = v }, s => s.SeedGoalAction),
        Text(NodeSettingKeys.WatchDirectory, false, "A folder watched for .torrent and .smartshare files, which are added and moved into its added/ (or failed/) folder; empty for none.", ParseWatchDirectory, (s, v) => s with { WatchDirectory = v }, s => s.WatchDirectory),
        AdvertiseList(NodeSettingKeys.Advertise, "HOST[:PORT] that shares name as this node's contacts, in place of the router's mapped address, the voted external address and the LAN addresses (comma-separated in the environment variable; the port defaults to each network's own); none by default.", (s, v) => s with { Advertise = v }, s => s.Advertise),

        Boolean(NodeSettingKeys.PortMapping, false, "Ask the home router to forward the node's ports (PCP, then NAT-PMP, then UPnP IGD), renew the leases and learn its external address; off leaves the router alone and deletes mappings made.", (s, v) => s with { PortMapping = v }, s => s.PortMapping),
        Integer(NodeSettingKeys.PortMappingLease, false, "Seconds of lease asked for each port mapping (renewed at half of what the router grants); from 10 to 86400.", 10, 86_400, (s, v) => s with { PortMappingLeaseSeconds = v }, s => s.PortMappingLeaseSeconds),
    ];

    public string Key { get; }

    /// <summary>True when a running node keeps the old value until it restarts.</summary>
    public bool RequiresRestart { get; }

    public string Description { get; }

    /// <summary>True for a value <c>settings_get</c> shows only as set or not (the password hash).</summary>
    public bool IsSecret { get; private set; }

    public static SettingDefinition? Find(string key) => All.FirstOrDefault(definition => definition.Key == key);

    public static string KnownKeys => string.Join(", ", All.Select(definition => definition.Key));

    /// <summary>Checks a JSON value and returns the settings with it applied.</summary>
    public NodeSettings Apply(NodeSettings settings, JsonNode? value) => _apply(settings, _parse(value));

    /// <summary>The JSON value an environment variable's text stands for (not yet checked).</summary>
    public JsonNode? FromText(string text) => _fromText(text);

    public JsonNode? Read(NodeSettings settings) => _read(settings);

    private static SettingDefinition Secret(SettingDefinition definition)
    {
        definition.IsSecret = true;
        return definition;
    }

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
        StringList(key, description, ParseBootstrap, apply, read);

    // Read at each share, so a change needs no restart.
    private static SettingDefinition AdvertiseList(string key, string description, Func<NodeSettings, IReadOnlyList<string>, NodeSettings> apply, Func<NodeSettings, IReadOnlyList<string>> read)
    {
        var list = StringList(key, description, Reachability.ContactPlan.ParseAdvertiseSetting, apply, read);
        return new(key, false, description, list._parse, list._fromText, list._apply, list._read);
    }

    private static SettingDefinition HostList(string key, string description, Func<NodeSettings, IReadOnlyList<string>, NodeSettings> apply, Func<NodeSettings, IReadOnlyList<string>> read) =>
        StringList(key, description, ParseHostNames, apply, read);

    /// <summary>A list of strings (comma-separated in its environment variable) that needs a restart.</summary>
    private static SettingDefinition StringList(
        string key, string description, Func<JsonNode?, List<string>> parse, Func<NodeSettings, IReadOnlyList<string>, NodeSettings> apply, Func<NodeSettings, IReadOnlyList<string>> read) =>
        new(
            key,
            true,
            description,
            parse,
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

    private static SettingDefinition Number(string key, string description, double min, double max, Func<NodeSettings, double, NodeSettings> apply, Func<NodeSettings, double> read) =>
        new(
            key,
            false,
            description,
            value => value is JsonValue json && json.GetValueKind() == JsonValueKind.Number && json.TryGetValue<double>(out var number) && double.IsFinite(number) && number >= min && number <= max
                ? number
                : throw new FormatException($"must be a number from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}, not {Describe(value)}"),
            text => double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var number) ? JsonValue.Create(number) : JsonValue.Create(text),
            (s, v) => apply(s, (double)v),
            s => JsonValue.Create(read(s)));

    private static string ParseGoalAction(string text) =>
        text.Trim().ToLowerInvariant() is var action && action is "stop" or "remove"
            ? action
            : throw new FormatException($"must be stop or remove, not '{Shorten(text)}'");

    // Empty turns the watch folder off; anything else must be a folder path (it need not exist yet: the watcher says so in the log).
    private static string ParseWatchDirectory(string text) => string.IsNullOrWhiteSpace(text) ? string.Empty : ParseDirectory(text);

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

    private static string ParseSchedule(string text) => Limits.SpeedSchedule.Parse(text).ToString();

    private static string ParseDirectory(string text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new FormatException("must be a folder path, not empty");
        }

        if (text.Any(char.IsControl))
        {
            throw new FormatException("must be a folder path without control characters (such as NUL or a line break)");
        }

        var full = Path.GetFullPath(text);
        if (IsPseudoFileSystemPath(full))
        {
            throw new FormatException($"must be a folder for files, not '{full}' (under /proc, /sys or /dev)");
        }

        if (File.Exists(full))
        {
            throw new FormatException($"must be a folder, but '{full}' is a file");
        }

        return full;
    }

    private static bool IsPseudoFileSystemPath(string full) =>
        !OperatingSystem.IsWindows()
        && PseudoFileSystemRoots.Any(root => full == root || full.StartsWith(root + "/", StringComparison.Ordinal));

    private static string ParsePasswordHash(string text)
    {
        var trimmed = text.Trim();
        return trimmed.Length == 0 || Http.ApiPassword.IsHash(trimmed)
            ? trimmed
            : throw new FormatException("must be a hash made by `smartshare password set` (pbkdf2-sha256$...), never the password itself; run that command to set a password");
    }

    private static List<string> ParseHostNames(JsonNode? value)
    {
        if (value is not JsonArray array)
        {
            throw new FormatException($"must be a list of host names, not {Describe(value)}");
        }

        var names = new List<string>();
        foreach (var item in array)
        {
            var text = item is JsonValue json && json.TryGetValue<string>(out var s) ? s.Trim().TrimEnd('.') : throw new FormatException($"must hold host names, not {Describe(item)}");
            try
            {
                // The .smartshare reader's host rules: a DNS name or an IP literal, nothing else.
                _ = Shares.SmartShareEndpoint.Parse(text.Contains(':', StringComparison.Ordinal) ? $"[{text}]:1" : $"{text}:1", "api_hosts entry");
            }
            catch (Shares.SmartShareFormatException)
            {
                throw new FormatException($"must hold host names such as mybox.lan, and '{Shares.SmartShareEndpoint.Shorten(text)}' is not one");
            }

            names.Add(text);
        }

        return names;
    }

    private static string ParseEncryption(string text) =>
        text.Trim().ToLowerInvariant() is var mode && mode is "prefer" or "require" or "disable"
            ? mode
            : throw new FormatException($"must be prefer, require or disable, not '{text}'");

    private static string ParseTransport(string text) =>
        text.Trim().ToLowerInvariant() is var mode && mode is "both" or "tcp" or "utp"
            ? mode
            : throw new FormatException($"must be both (uTP and TCP), tcp or utp, not '{Shorten(text)}'");

    private static string ParseAddress(string text)
    {
        if (!IPAddress.TryParse(text.Trim(), out var address) || text.Contains('%', StringComparison.Ordinal))
        {
            throw new FormatException($"must be an IP address such as 0.0.0.0 (every address of this machine) or 192.168.1.20, not '{Shorten(text)}'");
        }

        if (address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any))
        {
            return address.ToString();
        }

        try
        {
            // Past the unspecified address (listen everywhere), the .smartshare reader's rules: no broadcast, no multicast.
            _ = Shares.SmartShareEndpoint.Parse(new Shares.SmartShareEndpoint(address.ToString(), 1).ToString(), "bind address");
        }
        catch (Shares.SmartShareFormatException ex)
        {
            throw new FormatException($"must be an address of this machine to listen on: {ex.Message.TrimEnd('.')}");
        }

        return address.ToString();
    }

    private static string Shorten(string text) => Shares.SmartShareEndpoint.Shorten(text);

    private static string ParseApiUrl(string text)
    {
        if (!Uri.TryCreate(text.Trim(), UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttp || uri.AbsolutePath != "/")
        {
            throw new FormatException($"must be an http URL with a port, such as {NodeInfo.DefaultApiUrl}, not '{text}'");
        }

        if (!IsLoopback(uri.Host) && !IPAddress.TryParse(uri.Host.Trim('[', ']'), out _))
        {
            throw new FormatException(
                $"must name an IP address to listen on (127.0.0.1, 0.0.0.0, 192.168.1.20, [::1]) or localhost, not the name '{uri.Host}'");
        }

        if (!IsLoopback(uri.Host))
        {
            _ = ParseAddress(uri.Host.Trim('[', ']'));
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
            try
            {
                // The .smartshare reader's rules: a DNS name or a reachable address (no broadcast, multicast or unspecified), a port from 1 to 65535.
                items.Add(Shares.SmartShareEndpoint.Parse(text, "entry").ToString());
            }
            catch (Shares.SmartShareFormatException ex)
            {
                throw new FormatException($"must hold reachable HOST:PORT endpoints: {ex.Message.TrimEnd('.')}");
            }
        }

        return items;
    }

    /// <summary>Whether an api setting's URL listens on loopback only (else the API needs a password).</summary>
    internal static bool IsLoopbackApi(string api) =>
        Uri.TryCreate(api, UriKind.Absolute, out var uri) && IsLoopback(uri.Host);

    internal static bool IsLoopback(string host) =>
        string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
        || IPAddress.TryParse(host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address);

    private static string Describe(JsonNode? value) => value is null ? "null" : value.ToJsonString();
}
