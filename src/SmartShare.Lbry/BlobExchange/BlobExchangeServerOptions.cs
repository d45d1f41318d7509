using SmartShare.Networking;

namespace SmartShare.Lbry.BlobExchange;

/// <summary>Limits of the blob-exchange server; the defaults follow lbry-sdk where it has one.</summary>
public sealed class BlobExchangeServerOptions
{
    /// <summary>How long a connection may sit without a request, after connecting or after the last answer.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long one answer (header and blob) may take to send.</summary>
    public TimeSpan SendTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>A connection is closed once this much request data is buffered without a complete request.</summary>
    public int MaxRequestSize { get; init; } = BlobExchangeCodec.MaxRequestSize;

    public int MaxConnections { get; init; } = 256;

    /// <summary>Keeps one host from taking every slot.</summary>
    public int MaxConnectionsPerAddress { get; init; } = 16;

    public int ListenBacklog { get; init; } = 512;

    /// <summary>Paces blob uploads (the user's upload limit), shared by every connection; null for no limit.</summary>
    public ByteRateLimiter? UploadLimiter { get; init; }

    /// <summary>
    /// The limiter for one blob (a stream's own limit chained under the node's), asked before each blob is sent;
    /// null from it, or no function, means <see cref="UploadLimiter"/>.
    /// </summary>
    public Func<Blobs.BlobHash, ByteRateLimiter?>? UploadLimiterFor { get; init; }

    /// <summary>Where blobs the store does not have may come from (streams held as plain files); null for none.</summary>
    public IBlobSource? FallbackSource { get; init; }
}
