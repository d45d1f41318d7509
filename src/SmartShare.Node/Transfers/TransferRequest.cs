using System.Net;

namespace SmartShare.Node.Transfers;

/// <summary>What a <c>get</c> asks for: a target in any form a network reads, and how to fetch it.</summary>
/// <param name="Target">An sd hash, a <c>smartshare:</c> link, a .smartshare or .torrent path, an http(s) URL of a .torrent, or a magnet link.</param>
/// <param name="MetadataWait">How long to wait for what describes the content (a stream's descriptor) before answering.</param>
/// <param name="PreferBitTorrent">For a share that has both forms: fetch its torrent form.</param>
/// <param name="Files">For a torrent: which files to fetch (get --files / --skip); null for all.</param>
public sealed record TransferRequest(
    string Target,
    string? DownloadDirectory,
    IReadOnlyList<IPEndPoint> Peers,
    TimeSpan MetadataWait,
    bool PreferBitTorrent = false,
    Torrents.FileSelectionRequest? Files = null);

/// <summary>
/// What a network made of a request: the transfer it added (<see cref="Created"/> when it was not listed before, rather
/// than found and restarted), another target to hand on, or nothing it reads.
/// </summary>
public readonly record struct TransferAddResult(TransferKey? Added, string? HandOn, bool Created = false)
{
    public static TransferAddResult NotMine => default;

    public static TransferAddResult Of(TransferKey key, bool created) => new(key, null, created);

    /// <summary>The request is for another network, as this target (a share's torrent form, as a magnet link).</summary>
    public static TransferAddResult HandOnAs(string target) => new(null, target);
}

/// <summary>The transfer a request added, and whether the request created it (false: it was listed already).</summary>
public readonly record struct TransferAdded(Transfer Transfer, bool Created);
