using System.Net;
using SmartShare.Lbry.Blobs;

namespace SmartShare.Lbry.Downloads;

/// <summary>Finds blob-exchange peers for a stream: the DHT's value lookup on the sd hash.</summary>
public interface IStreamPeerFinder
{
    /// <summary>TCP blob-exchange addresses of peers that announced <paramref name="sdHash"/>.</summary>
    Task<IReadOnlyList<IPEndPoint>> FindPeersAsync(BlobHash sdHash, CancellationToken cancellationToken);
}
