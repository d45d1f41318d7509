using System.Net;

namespace SmartShare.Node.Transfers;

/// <summary>One peer of a transfer, the same fields for both networks (null where the network does not measure it).</summary>
/// <param name="EndPoint">Its address (a torrent's peer-wire address, a stream's blob-exchange address).</param>
/// <param name="Client">The software it names, or null.</param>
/// <param name="Connected">A connection to it is open now.</param>
/// <param name="Progress">The fraction of the content it has, 0 to 1, or null when it does not say.</param>
/// <param name="Transport">What carries a torrent peer's connection, "tcp" or "utp"; null for a stream's.</param>
public sealed record TransferPeer(IPEndPoint EndPoint, string? Client, bool Connected, double? DownloadRate, double? UploadRate, double? Progress, string? Transport = null);

/// <summary>A transfer's peers, and a sentence when the list is partial or empty for a reason worth telling.</summary>
public sealed record TransferPeers(IReadOnlyList<TransferPeer> Peers, string? Note);
