using System.Net;
using SmartShare.Lbry.Blobs;

namespace SmartShare.Lbry.BlobExchange;

/// <summary>
/// One open blob-exchange connection to a peer. Requests go one at a time (the protocol has no
/// pipelining); a downloader that wants more in flight opens more connections.
/// </summary>
public interface IBlobPeerConnection : IAsyncDisposable
{
    /// <summary>The peer's TCP blob-exchange address.</summary>
    IPEndPoint Peer { get; }

    /// <summary>
    /// Requests one blob and receives it, checking its length and SHA-384 while the bytes arrive.
    /// <paramref name="expectedLength"/> is known for data blobs (from the sd blob) and null for the sd blob.
    /// Returns the verified bytes in a pooled buffer the caller disposes. Throws
    /// <see cref="BlobExchangeException"/>; after any kind but <see cref="BlobExchangeFailure.NotAvailable"/>
    /// the connection is closed and must be disposed.
    /// </summary>
    Task<ReceivedBlob> DownloadAsync(BlobHash hash, int? expectedLength, CancellationToken cancellationToken);
}
