using SmartShare.Lbry.Downloads;

namespace SmartShare.Node.Downloads;

/// <summary>A download the node is running, with what stops it and a transfer rate for progress displays.</summary>
public sealed class ActiveDownload(StreamDownload download, CancellationTokenSource cancel, TimeProvider time)
{
    private static readonly TimeSpan RateWindow = TimeSpan.FromSeconds(1);

    private readonly Lock _rateLock = new();
    private long _sampledAt = time.GetTimestamp();
    private long _sampledBytes;
    private double _rate;

    public StreamDownload Download { get; } = download;

    /// <summary>The DHT search feeding the download, when it has one (its lookups and peers found so far).</summary>
    public DhtPeerFinder? Finder { get; init; }

    internal CancellationTokenSource Cancel { get; } = cancel;

    /// <summary>Completes when the download ends, with the file's path (null if it failed or was stopped).</summary>
    public Task<string?> Completion { get; internal set; } = Task.FromResult<string?>(null);

    /// <summary>Bytes per second received from peers, averaged over about the last second or more.</summary>
    public double BytesPerSecond
    {
        get
        {
            lock (_rateLock)
            {
                var elapsed = time.GetElapsedTime(_sampledAt);
                if (elapsed >= RateWindow)
                {
                    var bytes = Download.Progress.BytesReceived;
                    _rate = (bytes - _sampledBytes) / elapsed.TotalSeconds;
                    _sampledBytes = bytes;
                    _sampledAt = time.GetTimestamp();
                }

                return _rate;
            }
        }
    }
}
