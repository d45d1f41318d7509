using SmartShare.Lbry.Blobs;

namespace SmartShare.Lbry.Downloads;

/// <summary>One blob to ask one peer for: the sd blob (index -1, length unknown) or data blob Index.</summary>
internal sealed record BlobJob(int Index, BlobHash Hash, int? ExpectedLength)
{
    public bool IsDescriptor => Index == DownloadPeer.DescriptorIndex;
}
