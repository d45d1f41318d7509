using System.Net;

namespace SmartShare.BitTorrent.Engine;

/// <summary>One connected peer of a torrent session, as a peer list shows it.</summary>
/// <param name="EndPoint">The peer's address.</param>
/// <param name="Client">The client it names in its extension handshake ("v"), else its peer id as text.</param>
/// <param name="DownloadRate">Payload bytes per second received from it.</param>
/// <param name="UploadRate">Payload bytes per second sent to it.</param>
/// <param name="Progress">The fraction of the pieces it says it has, 0 to 1.</param>
/// <param name="IsSeed">It has every piece.</param>
/// <param name="Transport">What carries the connection: "tcp" or "utp".</param>
public sealed record TorrentPeerInfo(IPEndPoint EndPoint, string Client, double DownloadRate, double UploadRate, double Progress, bool IsSeed, string Transport = "tcp");
