using SmartShare.Lbry.Blobs;

namespace SmartShare.Lbry.BlobExchange;

/// <summary>
/// A server's response header. A null property means the key is absent; the client's acceptance rules tell
/// an absent <c>available_blobs</c> from an empty one.
/// </summary>
public sealed class BlobResponse
{
    public const string RateAccepted = "RATE_ACCEPTED";
    public const string RateTooLow = "RATE_TOO_LOW";
    public const string RateUnset = "RATE_UNSET";

    /// <summary>The wallet address our server reports; lbry-sdk's tests use the same one, and clients ignore it.</summary>
    public const string ServerAddress = "bQEaw42GXsgCAGio1nxFncJSyRmnztSCjP";

    /// <summary>The blob that follows the header (<c>incoming_blob</c>), or null when none does.</summary>
    public IncomingBlob? IncomingBlob { get; init; }

    /// <summary>One of <see cref="RateAccepted"/>, <see cref="RateTooLow"/>, <see cref="RateUnset"/>.</summary>
    public string? BlobDataPaymentRate { get; init; }

    /// <summary>The requested hashes the server holds (<c>available_blobs</c>).</summary>
    public IReadOnlyList<BlobHash>? AvailableBlobs { get; init; }

    public string? LbrycrdAddress { get; init; }
}
