using System.Numerics;

namespace SmartShare.BitTorrent;

/// <summary>
/// Which pieces a peer (or this node) has, in the wire layout of the BitTorrent bitfield message: piece 0 is the
/// high bit of the first byte and the spare bits of the last byte are zero. <see cref="Count"/> is kept up to date so
/// "how many" and "all of them" are O(1). Not thread-safe.
/// </summary>
public sealed class Bitfield
{
    private readonly byte[] _bytes;

    public Bitfield(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Length = length;
        _bytes = new byte[ByteLengthFor(length)];
    }

    /// <summary>How many pieces the bitfield covers.</summary>
    public int Length { get; }

    /// <summary>How many pieces are set.</summary>
    public int Count { get; private set; }

    public bool IsComplete => Count == Length;

    public bool IsEmpty => Count == 0;

    /// <summary>Bytes of the wire form.</summary>
    public int ByteLength => _bytes.Length;

    /// <summary>The wire form; read-only view of the live bits.</summary>
    public ReadOnlySpan<byte> Bytes => _bytes;

    public bool this[int index]
    {
        get
        {
            if ((uint)index >= (uint)Length)
            {
                throw new ArgumentOutOfRangeException(nameof(index));
            }

            return (_bytes[index >> 3] & (0x80 >> (index & 7))) != 0;
        }

        set
        {
            if ((uint)index >= (uint)Length)
            {
                throw new ArgumentOutOfRangeException(nameof(index));
            }

            ref var cell = ref _bytes[index >> 3];
            var mask = (byte)(0x80 >> (index & 7));
            var had = (cell & mask) != 0;
            if (had == value)
            {
                return;
            }

            cell = value ? (byte)(cell | mask) : (byte)(cell & ~mask);
            Count += value ? 1 : -1;
        }
    }

    public static int ByteLengthFor(int length) => (int)(((long)length + 7) / 8);

    /// <summary>
    /// Reads a bitfield message's payload for a torrent of <paramref name="length"/> pieces, or returns false when it
    /// has the wrong size or sets a spare bit (BEP 3 says to drop such a peer).
    /// </summary>
    public static bool TryFromWire(ReadOnlySpan<byte> bytes, int length, out Bitfield bitfield)
    {
        bitfield = new Bitfield(length);
        if (bytes.Length != bitfield._bytes.Length)
        {
            return false;
        }

        var spare = (bitfield._bytes.Length * 8) - length;
        if (spare > 0 && (bytes[^1] & ((1 << spare) - 1)) != 0)
        {
            return false;
        }

        bytes.CopyTo(bitfield._bytes);
        bitfield.Count = PopCount(bitfield._bytes);
        return true;
    }

    public void SetAll()
    {
        if (Length == 0)
        {
            return;
        }

        Array.Fill(_bytes, (byte)0xFF);
        var spare = (_bytes.Length * 8) - Length;
        _bytes[^1] = (byte)(0xFF << spare);
        Count = Length;
    }

    public void ClearAll()
    {
        Array.Clear(_bytes);
        Count = 0;
    }

    public Bitfield Clone()
    {
        var copy = new Bitfield(Length);
        _bytes.CopyTo(copy._bytes, 0);
        copy.Count = Count;
        return copy;
    }

    /// <summary>The set indexes in increasing order.</summary>
    public IEnumerable<int> SetIndexes()
    {
        for (var i = 0; i < Length; i++)
        {
            if (this[i])
            {
                yield return i;
            }
        }
    }

    private static int PopCount(ReadOnlySpan<byte> bytes)
    {
        var count = 0;
        foreach (var b in bytes)
        {
            count += BitOperations.PopCount(b);
        }

        return count;
    }
}
