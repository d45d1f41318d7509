namespace SmartShare.Lbry.Downloads;

/// <summary>A consistent snapshot of a stream download, for progress bars and the API.</summary>
/// <param name="State">Where the download stands.</param>
/// <param name="BlobsTotal">Data blobs in the stream (0 until the descriptor is known).</param>
/// <param name="BlobsHave">Data blobs verified in the local store.</param>
/// <param name="BytesTotal">Encrypted size of the stream's data blobs.</param>
/// <param name="BytesHave">Encrypted bytes verified in the local store.</param>
/// <param name="BytesReceived">Blob bytes received from peers by this run, duplicates included.</param>
/// <param name="BytesWritten">Plaintext bytes written to the output file so far.</param>
/// <param name="PeersKnown">Peers known for the stream, dropped ones excluded.</param>
/// <param name="PeersActive">Peers with an open connection.</param>
/// <param name="Error">Why the download failed, as a sentence, or null.</param>
public sealed record StreamDownloadProgress(
    StreamDownloadState State,
    int BlobsTotal,
    int BlobsHave,
    long BytesTotal,
    long BytesHave,
    long BytesReceived,
    long BytesWritten,
    int PeersKnown,
    int PeersActive,
    string? Error);
