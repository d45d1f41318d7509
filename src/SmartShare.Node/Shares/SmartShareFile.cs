using SmartShare.Lbry.Blobs;

namespace SmartShare.Node.Shares;

/// <summary>
/// What a receiver needs to download an LBRY stream straight from its creator: the stream's sd hash, optionally the
/// sd blob itself, and the creator's endpoints. <see cref="SmartShareCodec"/> reads and writes it as a .smartshare
/// file or a smartshare: link.
/// </summary>
public sealed record SmartShareFile
{
    public const int CurrentVersion = 1;

    public int Version { get; init; } = CurrentVersion;

    /// <summary>The content's name, for display only; receivers sanitize it before using it as a file name.</summary>
    public required string Name { get; init; }

    /// <summary>The content's size in bytes.</summary>
    public required long Size { get; init; }

    public required BlobHash SdHash { get; init; }

    /// <summary>The stream descriptor, embedded so the receiver need not fetch it; at most 2 MiB.</summary>
    public byte[]? SdBlob { get; init; }

    /// <summary>The creator keeps the stream out of the DHT, so only the listed contacts serve it.</summary>
    public bool Private { get; init; }

    public IReadOnlyList<SmartShareContact> Contacts { get; init; } = [];

    /// <summary>Extra DHT nodes the receiver may bootstrap from.</summary>
    public IReadOnlyList<SmartShareEndpoint> Bootstrap { get; init; } = [];

    public DateTimeOffset Created { get; init; }

    /// <summary>The same content as a torrent, when the creator also shared it on BitTorrent.</summary>
    public SmartShareTorrent? BitTorrent { get; init; }

    // The compiler's record equality would compare the blob and the lists by reference; two shares that say
    // the same thing are equal, which is what round-trip checks and callers comparing shares mean.
    public bool Equals(SmartShareFile? other) =>
        other is not null
        && Version == other.Version
        && Name == other.Name
        && Size == other.Size
        && SdHash == other.SdHash
        && (SdBlob is null ? other.SdBlob is null : other.SdBlob is not null && SdBlob.AsSpan().SequenceEqual(other.SdBlob))
        && Private == other.Private
        && Contacts.SequenceEqual(other.Contacts)
        && Bootstrap.SequenceEqual(other.Bootstrap)
        && Created == other.Created
        && Equals(BitTorrent, other.BitTorrent);

    public override int GetHashCode() => HashCode.Combine(Version, Name, Size, SdHash, Private, Contacts.Count, Created);
}
