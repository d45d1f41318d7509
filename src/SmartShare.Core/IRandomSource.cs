namespace SmartShare;

/// <summary>
/// Where keys, IVs, node ids and tokens come from. Injected so that tests can reproduce
/// reference vectors and simulations can be deterministic.
/// </summary>
public interface IRandomSource
{
    void Fill(Span<byte> destination);
}
