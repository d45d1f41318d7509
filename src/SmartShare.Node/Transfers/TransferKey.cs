using SmartShare.BitTorrent;
using SmartShare.Lbry.Blobs;

namespace SmartShare.Node.Transfers;

/// <summary>Which network a transfer runs on.</summary>
public enum TransferNetwork
{
    /// <summary>An LBRY stream, keyed by its sd hash.</summary>
    Stream,

    /// <summary>A BitTorrent torrent, keyed by its info hash.</summary>
    Torrent,
}

/// <summary>
/// What names a transfer: an sd hash (96 hex digits) for a stream or an info hash (40 hex digits) for a torrent. Its
/// hash code is computed once, when it is made: the queue's round looks every transfer up in several maps every 2 s,
/// and hashing the 40 or 96 characters at each lookup was a tenth of a settled idle node's CPU with 6,000 transfers
/// (keys are made once per hash, see <see cref="TransferKeys{THash}"/>).
/// </summary>
public readonly record struct TransferKey(TransferNetwork Network, string Hash)
{
    // Get-only, so no `with` can leave the kept hash code stale.
    public TransferNetwork Network { get; } = Network;

    public string Hash { get; } = Hash;

    private readonly int _hashCode = HashCode.Combine(Network, Hash);

    public static TransferKey Of(BlobHash sdHash) => new(TransferNetwork.Stream, sdHash.ToString());

    public static TransferKey Of(InfoHash infoHash) => new(TransferNetwork.Torrent, infoHash.ToString());

    /// <summary>Reads an sd hash or an info hash (hex, either case; an info hash also in base32).</summary>
    public static bool TryParse(string? text, out TransferKey key)
    {
        var trimmed = text?.Trim();
        if (BlobHash.TryParse(trimmed?.ToLowerInvariant(), out var sdHash))
        {
            key = Of(sdHash);
            return true;
        }

        if (InfoHash.TryParse(trimmed, out var infoHash))
        {
            key = Of(infoHash);
            return true;
        }

        key = default;
        return false;
    }

    public override int GetHashCode() => _hashCode;

    public override string ToString() => Hash;
}
