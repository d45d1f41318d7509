using SmartShare.Lbry.Blobs;

namespace SmartShare.Lbry.Streams;

/// <summary>
/// One entry of a descriptor's blob list. <see cref="Length"/> is the encrypted length (0 for the
/// terminator, which has no hash). <see cref="Iv"/> is kept as the hex text the descriptor holds,
/// because the stream hash covers that text.
/// </summary>
public sealed record StreamBlobInfo(int BlobNum, int Length, string Iv, BlobHash? BlobHash)
{
    public bool IsTerminator => Length == 0;
}
