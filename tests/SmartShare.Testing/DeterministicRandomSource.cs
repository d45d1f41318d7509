namespace SmartShare.Testing;

/// <summary>
/// A seeded, reproducible random source (SplitMix64) for simulations and tests. Not for secrets.
/// </summary>
public sealed class DeterministicRandomSource : IRandomSource
{
    private readonly Lock _gate = new();
    private ulong _state;

    public DeterministicRandomSource(ulong seed) => _state = seed;

    public void Fill(Span<byte> destination)
    {
        lock (_gate)
        {
            var offset = 0;
            while (offset < destination.Length)
            {
                var value = NextCore();
                for (var i = 0; i < 8 && offset < destination.Length; i++, offset++)
                {
                    destination[offset] = (byte)(value >> (8 * i));
                }
            }
        }
    }

    /// <summary>A value in [0, 1).</summary>
    public double NextDouble()
    {
        lock (_gate)
        {
            return (NextCore() >> 11) * (1.0 / (1UL << 53));
        }
    }

    /// <summary>A value in [0, <paramref name="maxExclusive"/>).</summary>
    public int NextInt(int maxExclusive)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxExclusive, 1);
        return (int)(NextDouble() * maxExclusive);
    }

    private ulong NextCore()
    {
        _state += 0x9E3779B97F4A7C15UL;
        var z = _state;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
