using System.Net;

namespace SmartShare.Lbry.BlobExchange;

/// <summary>Opens blob-exchange connections; the seam that lets downloader tests use hostile peers.</summary>
public interface IBlobPeerConnector
{
    /// <summary>Connects to a peer, within the connect timeout. Throws <see cref="BlobExchangeException"/>.</summary>
    Task<IBlobPeerConnection> ConnectAsync(IPEndPoint peer, CancellationToken cancellationToken);
}
