using System.Text.Json.Nodes;
using SmartShare.Node.Limits;
using SmartShare.Node.Settings;

namespace SmartShare.Node.Remote;

/// <summary>
/// Transmission's speed-limit fields over the node's limits. Transmission speaks kB/s (1000 bytes), the node KiB/s,
/// converted both ways. The node keeps one number per limit (0 or none: no limit), so a limit turned off forgets its
/// value, and turning one on needs a value unless it already has one. The schedule's begin, end and day mask are
/// <c>alt_speed_schedule</c> in Transmission's form.
/// </summary>
internal static class TransmissionLimits
{
    /// <summary>session-set keys applied to the node's settings.</summary>
    public static readonly IReadOnlyList<string> SessionKeys =
    [
        "speed-limit-down", "speed-limit-down-enabled", "speed-limit-up", "speed-limit-up-enabled",
        "alt-speed-down", "alt-speed-up", "alt-speed-enabled",
        "alt-speed-time-enabled", "alt-speed-time-begin", "alt-speed-time-end", "alt-speed-time-day",
    ];

    private const long MaxKilobytes = int.MaxValue / 1024;

    /// <summary>Fills session-get's speed fields from the settings.</summary>
    public static void AddSessionFields(JsonObject session, NodeSettings current)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(current);
        var schedule = Schedule(current);
        session["speed-limit-down"] = Kilobytes(current.MaxDownloadKibPerSecond);
        session["speed-limit-down-enabled"] = current.MaxDownloadKibPerSecond > 0;
        session["speed-limit-up"] = Kilobytes(current.MaxUploadKibPerSecond);
        session["speed-limit-up-enabled"] = current.MaxUploadKibPerSecond > 0;
        session["alt-speed-down"] = Kilobytes(current.AltDownloadKibPerSecond);
        session["alt-speed-up"] = Kilobytes(current.AltUploadKibPerSecond);
        session["alt-speed-enabled"] = current.AltSpeedEnabled;
        session["alt-speed-time-enabled"] = current.AltSpeedScheduleEnabled;
        session["alt-speed-time-begin"] = schedule.BeginMinute;
        session["alt-speed-time-end"] = schedule.EndMinute;
        session["alt-speed-time-day"] = schedule.Days;
    }

    /// <summary>The settings session-set's speed keys ask for, every value checked before any is applied.</summary>
    public static List<(string Key, JsonNode? Value)> SessionChanges(TransmissionArguments arguments, NodeSettings current)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        ArgumentNullException.ThrowIfNull(current);
        var changes = new List<(string Key, JsonNode? Value)>();
        Limit(changes, arguments, "speed-limit-down", NodeSettingKeys.MaxDownloadRate, current.MaxDownloadKibPerSecond, "download");
        Limit(changes, arguments, "speed-limit-up", NodeSettingKeys.MaxUploadRate, current.MaxUploadKibPerSecond, "upload");
        if (arguments.Integer("alt-speed-down", 0, MaxKilobytes) is { } altDown)
        {
            changes.Add((NodeSettingKeys.AltDownloadRate, Kibibytes(altDown)));
        }

        if (arguments.Integer("alt-speed-up", 0, MaxKilobytes) is { } altUp)
        {
            changes.Add((NodeSettingKeys.AltUploadRate, Kibibytes(altUp)));
        }

        if (arguments.Boolean("alt-speed-enabled") is { } altEnabled)
        {
            changes.Add((NodeSettingKeys.AltSpeedEnabled, altEnabled));
        }

        if (arguments.Boolean("alt-speed-time-enabled") is { } timeEnabled)
        {
            changes.Add((NodeSettingKeys.AltSpeedScheduleEnabled, timeEnabled));
        }

        var begin = arguments.Integer("alt-speed-time-begin", 0, (24 * 60) - 1);
        var end = arguments.Integer("alt-speed-time-end", 0, (24 * 60) - 1);
        var day = arguments.Integer("alt-speed-time-day", 1, SpeedSchedule.AllDays);
        if (begin is not null || end is not null || day is not null)
        {
            var schedule = Schedule(current);
            var updated = SpeedSchedule.FromTransmission((int)(day ?? schedule.Days), (int)(begin ?? schedule.BeginMinute), (int)(end ?? schedule.EndMinute));
            changes.Add((NodeSettingKeys.AltSpeedSchedule, updated.ToString()));
        }

        return changes;
    }

    /// <summary>torrent-get's limit fields from a transfer's own limits.</summary>
    public static JsonNode? TorrentField(string field, TransferLimits own) => field switch
    {
        "downloadLimit" => Kilobytes(own.DownloadKibPerSecond ?? 0),
        "downloadLimited" => own.DownloadKibPerSecond is not null,
        "uploadLimit" => Kilobytes(own.UploadKibPerSecond ?? 0),
        "uploadLimited" => own.UploadKibPerSecond is not null,
        _ => null,
    };

    /// <summary>A transfer's own limits after torrent-set, or null when it names none of them.</summary>
    public static TransferLimits? TorrentChange(TransmissionArguments arguments, TransferLimits current)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        ArgumentNullException.ThrowIfNull(current);
        if (arguments.Boolean("honorsSessionLimits") == false)
        {
            throw new TransmissionFailure("SmartShare always applies the session's speed limits to every torrent; a torrent's own limits apply on top of them.");
        }

        var down = Own(arguments, "downloadLimit", "downloadLimited", current.DownloadKibPerSecond);
        var up = Own(arguments, "uploadLimit", "uploadLimited", current.UploadKibPerSecond);
        var updated = new TransferLimits(down, up);
        return updated == current ? null : updated;
    }

    private static int? Own(TransmissionArguments arguments, string limitKey, string limitedKey, int? current)
    {
        var limit = arguments.Integer(limitKey, 0, MaxKilobytes);
        return arguments.Boolean(limitedKey) switch
        {
            false => null,
            true when limit is { } kB => kB == 0 ? null : Kibibytes(kB),
            true => current ?? throw new TransmissionFailure($"{limitedKey} needs {limitKey} (kB/s) as well: the torrent has no limit of its own to turn on."),
            null when limit is { } kB && current is not null => kB == 0 ? null : Kibibytes(kB),
            null => current,
        };
    }

    private static void Limit(List<(string Key, JsonNode? Value)> changes, TransmissionArguments arguments, string key, string setting, int current, string direction)
    {
        var limit = arguments.Integer(key, 0, MaxKilobytes);
        int? kibPerSecond = arguments.Boolean(key + "-enabled") switch
        {
            false => 0,
            true when limit is { } kB => Math.Max(1, Kibibytes(kB)),
            true => current > 0 ? null : throw new TransmissionFailure($"{key}-enabled needs {key} (kB/s) as well: the node has no {direction} limit to turn on."),
            null when limit is { } kB && current > 0 => Math.Max(1, Kibibytes(kB)),
            null => null,
        };
        if (kibPerSecond is { } rate)
        {
            changes.Add((setting, rate));
        }
    }

    private static SpeedSchedule Schedule(NodeSettings current)
    {
        try
        {
            return SpeedSchedule.Parse(current.AltSpeedSchedule);
        }
        catch (FormatException)
        {
            return SpeedSchedule.Default;
        }
    }

    private static long Kilobytes(int kibPerSecond) => (long)Math.Round(kibPerSecond * 1024.0 / 1000);

    private static int Kibibytes(long kilobytesPerSecond) => (int)Math.Round(kilobytesPerSecond * 1000.0 / 1024);
}
