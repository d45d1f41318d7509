namespace SmartShare.Lbry.BlobExchange;

/// <summary>Time limits of a blob-exchange client; the defaults are lbry-sdk's.</summary>
public sealed class BlobExchangeClientOptions
{
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>From sending a request until the response header is complete.</summary>
    public TimeSpan ResponseTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>From the header until the last byte of the blob, not counting waits for the <see cref="DownloadLimiter"/>.</summary>
    public TimeSpan BlobTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Paces the blob bodies this client's connections read (a stream's limiter, chained under the node's); null for
    /// no limit. Requests and response headers are not counted.
    /// </summary>
    public SmartShare.Networking.ByteRateLimiter? DownloadLimiter { get; init; }
}
