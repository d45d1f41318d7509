namespace SmartShare.Lbry.Tests.Support;

/// <summary>The vectors' IVs: the n-th draw (from 1) is 16 bytes of 0x10 * n.</summary>
public sealed class SequentialIvSource : IRandomSource
{
    private int _draws;

    public void Fill(Span<byte> destination)
    {
        _draws++;
        destination.Fill((byte)(0x10 * _draws));
    }
}
