using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using SmartShare.Networking;
using SmartShare.Node.Hosting;
using SmartShare.Node.Settings;
using SmartShare.Node.Transfers;

namespace SmartShare.Node.Limits;

/// <summary>
/// The node's speed limits: one download and one upload <see cref="ByteRateLimiter"/> for the whole node, shared by
/// LBRY and BitTorrent traffic, and a pair per transfer chained under them (a byte passes both). The node's rate is
/// <c>max_download_rate</c>/<c>max_upload_rate</c>, or the <c>alt_*</c> rates while the alternative speeds are on (by
/// hand, or by <c>alt_speed_schedule</c> in the node's local time); the limiters read it live, so a change applies
/// within <see cref="ByteRateLimiter.RecheckInterval"/>. Only payload is limited (piece blocks, blob bodies);
/// DHT datagrams, handshakes and protocol messages pass freely so they are never starved.
/// </summary>
public sealed class BandwidthLimits : IStatusContributor, ITransferRemovalListener, IDisposable
{
    private readonly NodeSettingsStore _settings;
    private readonly TransferLimitStore _store;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<TransferKey, TransferLimiters> _transfers = new();
    private (string Text, SpeedSchedule Schedule)? _schedule;

    public BandwidthLimits(NodeSettingsStore settings, TransferLimitStore store, TimeProvider time)
    {
        _settings = settings ?? throw new ArgumentNullException(nameof(settings));
        _store = store ?? throw new ArgumentNullException(nameof(store));
        _time = time ?? throw new ArgumentNullException(nameof(time));
        Download = new ByteRateLimiter(() => DownloadKibPerSecond * 1024L, time);
        Upload = new ByteRateLimiter(() => UploadKibPerSecond * 1024L, time);
    }

    public string Section => "limits";

    /// <summary>The node's download limiter (every transfer's passes through it).</summary>
    public ByteRateLimiter Download { get; }

    /// <summary>The node's upload limiter (every transfer's passes through it).</summary>
    public ByteRateLimiter Upload { get; }

    /// <summary>True while the alternative speeds are in force: turned on by hand, or now within the schedule.</summary>
    public bool AltSpeedActive
    {
        get
        {
            var current = _settings.Current;
            return current.AltSpeedEnabled || (current.AltSpeedScheduleEnabled && Schedule(current.AltSpeedSchedule).Covers(_time.GetLocalNow()));
        }
    }

    /// <summary>The node's download limit in force, KiB/s (0 = none).</summary>
    public int DownloadKibPerSecond => AltSpeedActive ? _settings.Current.AltDownloadKibPerSecond : _settings.Current.MaxDownloadKibPerSecond;

    /// <summary>The node's upload limit in force, KiB/s (0 = none).</summary>
    public int UploadKibPerSecond => AltSpeedActive ? _settings.Current.AltUploadKibPerSecond : _settings.Current.MaxUploadKibPerSecond;

    /// <summary>The transfer's limiters (its own limits, under the node's).</summary>
    public TransferLimiters For(TransferKey key) => _transfers.GetOrAdd(key, Create);

    /// <summary>
    /// The upload limiter for a blob: that of the first stream holding it with an upload limit of its own, else the
    /// node's (a blob shared by several streams is paced once).
    /// </summary>
    public ByteRateLimiter UploadFor(IEnumerable<TransferKey> streams)
    {
        ArgumentNullException.ThrowIfNull(streams);
        foreach (var key in streams)
        {
            if (_store.Get(key).UploadKibPerSecond is not null)
            {
                return For(key).Upload;
            }
        }

        return Upload;
    }

    public TransferLimits Get(TransferKey key) => _store.Get(key);

    /// <summary>Sets (null: clears) a transfer's own limits; running traffic follows at once.</summary>
    public void Set(TransferKey key, TransferLimits limits)
    {
        _store.Set(key, limits);
        if (_transfers.TryGetValue(key, out var limiters))
        {
            limiters.Download.Refresh();
            limiters.Upload.Refresh();
        }
    }

    /// <summary>Re-reads the node's rates now (after a settings change) instead of within the recheck interval.</summary>
    public void Refresh()
    {
        Download.Refresh();
        Upload.Refresh();
        foreach (var limiters in _transfers.Values)
        {
            limiters.Download.Refresh();
            limiters.Upload.Refresh();
        }
    }

    public void TransferRemoved(TransferKey key)
    {
        _store.Remove(key);
        // The limiters stay while a session that was handed them may still run down; they now pass at the node's rate.
        if (_transfers.TryGetValue(key, out var limiters))
        {
            limiters.Download.Refresh();
            limiters.Upload.Refresh();
        }
    }

    public JsonNode? Describe()
    {
        var current = _settings.Current;
        return new JsonObject
        {
            ["download_rate_limit"] = DownloadKibPerSecond,
            ["upload_rate_limit"] = UploadKibPerSecond,
            ["unit"] = "KiB/s",
            ["alt_speed_active"] = AltSpeedActive,
            ["alt_speed_enabled"] = current.AltSpeedEnabled,
            ["alt_speed_schedule_enabled"] = current.AltSpeedScheduleEnabled,
            ["alt_speed_schedule"] = current.AltSpeedSchedule,
            ["max_download_rate"] = current.MaxDownloadKibPerSecond,
            ["max_upload_rate"] = current.MaxUploadKibPerSecond,
            ["alt_download_rate"] = current.AltDownloadKibPerSecond,
            ["alt_upload_rate"] = current.AltUploadKibPerSecond,
            ["transfers_limited"] = _store.All().Count,
        };
    }

    public void Dispose()
    {
        Download.Dispose();
        Upload.Dispose();
        foreach (var limiters in _transfers.Values)
        {
            limiters.Download.Dispose();
            limiters.Upload.Dispose();
        }
    }

    private TransferLimiters Create(TransferKey key) => new(
        new ByteRateLimiter(() => (_store.Get(key).DownloadKibPerSecond ?? 0) * 1024L, _time, Download),
        new ByteRateLimiter(() => (_store.Get(key).UploadKibPerSecond ?? 0) * 1024L, _time, Upload));

    // The setting was checked when it was set; a file edited by hand to nonsense falls back to the default.
    private SpeedSchedule Schedule(string text)
    {
        if (_schedule is { } cached && ReferenceEquals(cached.Text, text))
        {
            return cached.Schedule;
        }

        SpeedSchedule schedule;
        try
        {
            schedule = SpeedSchedule.Parse(text);
        }
        catch (FormatException)
        {
            schedule = SpeedSchedule.Default;
        }

        _schedule = (text, schedule);
        return schedule;
    }
}
