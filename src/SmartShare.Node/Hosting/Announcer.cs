using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SmartShare.Lbry;
using SmartShare.Lbry.Blobs;
using SmartShare.Lbry.Dht;
using SmartShare.Lbry.Streams;
using SmartShare.Node.Settings;

namespace SmartShare.Node.Hosting;

/// <summary>
/// Announces the sd hash of every listed local stream once the node has joined the DHT, and again every 12 h (before
/// the 24 h expiry, as lbry-sdk does). <see cref="AnnounceNowAsync"/> serves streams shared or completed meanwhile.
/// Private streams (shared or fetched with --private) are never announced.
/// </summary>
public sealed partial class Announcer(
    LbryStorage storage,
    LbryDhtService dht,
    DhtMembership membership,
    NodeSettingsStore settings,
    Downloads.FileStore files,
    TimeProvider time,
    ILogger<Announcer> logger) : BackgroundService
{
    public static readonly TimeSpan ReannounceInterval = TimeSpan.FromHours(12);

    private int _announcedStreams;

    /// <summary>How many streams the last full round announced.</summary>
    public int AnnouncedStreams => Volatile.Read(ref _announcedStreams);

    public bool IsEnabled => settings.Current.Announce;

    /// <summary>Announces one hash now (a stream just shared or downloaded); returns how many nodes stored it, 0 when announcing is off.</summary>
    public async Task<int> AnnounceNowAsync(BlobHash hash, CancellationToken cancellationToken)
    {
        if (!IsEnabled || files.IsPrivate(hash))
        {
            return 0;
        }

        var stored = await dht.AnnounceAsync(hash, cancellationToken);
        LogAnnounced(logger, hash, "new", stored);
        return stored;
    }

    /// <summary>
    /// What a round announces: the streams the index holds that are listed and not private. A stream removed
    /// (<c>file_delete</c>) leaves both; one indexed but unlisted (removed before removals cleaned the index) is
    /// left out too.
    /// </summary>
    public IReadOnlyList<StreamRecord> StreamsToAnnounce()
    {
        var listed = files.List().Where(record => !record.Private).Select(record => record.SdHash).ToHashSet();
        return [.. storage.Streams.List().Where(stream => listed.Contains(stream.SdHash))];
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!IsEnabled)
        {
            LogDisabled(logger);
            return;
        }

        await membership.WaitForJoinAsync(stoppingToken);
        while (true)
        {
            var streams = StreamsToAnnounce();
            foreach (var stream in streams)
            {
                var stored = await dht.AnnounceAsync(stream.SdHash, stoppingToken);
                LogAnnounced(logger, stream.SdHash, stream.StreamName, stored);
            }

            Volatile.Write(ref _announcedStreams, streams.Count);
            dht.SaveContacts();
            await Task.Delay(ReannounceInterval, time, stoppingToken);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Announced {SdHash} ({StreamName}) to {Stored} nodes.")]
    private static partial void LogAnnounced(ILogger logger, BlobHash sdHash, string streamName, int stored);

    [LoggerMessage(Level = LogLevel.Information, Message = "Announcing is off (setting announce = false); local streams stay unannounced.")]
    private static partial void LogDisabled(ILogger logger);
}
