using System.Runtime.CompilerServices;

namespace SmartShare.Bencode;

/// <summary>Inline storage for the reader's open containers, so reading allocates nothing.</summary>
[InlineArray(BencodeLimits.DepthCeiling)]
internal struct ContainerFrameStack
{
    private ContainerFrame _first;
}
