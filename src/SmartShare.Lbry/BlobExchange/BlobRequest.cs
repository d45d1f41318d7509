using SmartShare.Lbry.Blobs;

namespace SmartShare.Lbry.BlobExchange;

/// <summary>
/// A client's request: any subset of lbry-sdk's four keys. A null property means the key was absent, which
/// matters because the server answers only the parts that were asked.
/// </summary>
public sealed class BlobRequest
{
    /// <summary>Hashes whose availability is asked (<c>requested_blobs</c>).</summary>
    public IReadOnlyList<BlobHash>? RequestedBlobs { get; init; }

    /// <summary>Whether the server's payment address is asked (<c>lbrycrd_address</c>).</summary>
    public bool? LbrycrdAddress { get; init; }

    /// <summary>The offered price (<c>blob_data_payment_rate</c>); lbry-sdk always offers 0.0.</summary>
    public double? BlobDataPaymentRate { get; init; }

    /// <summary>The blob to send (<c>requested_blob</c>).</summary>
    public BlobHash? RequestedBlob { get; init; }

    /// <summary>The request lbry-sdk sends for one blob: all four keys.</summary>
    public static BlobRequest ForBlob(BlobHash hash) => new()
    {
        RequestedBlobs = [hash],
        LbrycrdAddress = true,
        BlobDataPaymentRate = 0.0,
        RequestedBlob = hash,
    };
}
