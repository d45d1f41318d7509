using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace SmartShare.BitTorrent.PeerWire.Encryption;

/// <summary>
/// The RC4 keystream cipher, as Message Stream Encryption uses it: encrypting and decrypting are the same XOR with
/// the keystream, done in place or from one span into another. One instance is one direction of a connection and is
/// not thread-safe.
/// </summary>
public sealed class Rc4
{
    /// <summary>Keystream bytes MSE throws away before using a cipher, since RC4's first bytes leak its key.</summary>
    public const int MseDiscard = 1024;

    private readonly byte[] _state = new byte[256];
    private byte _i;
    private byte _j;

    /// <summary>Runs the key schedule for a key of 1 to 256 bytes.</summary>
    /// <exception cref="ArgumentException">The key is empty or longer than 256 bytes.</exception>
    public Rc4(ReadOnlySpan<byte> key)
    {
        if (key.IsEmpty || key.Length > 256)
        {
            throw new ArgumentException($"An RC4 key is 1 to 256 bytes, not {key.Length}.", nameof(key));
        }

        var s = _state;
        for (var n = 0; n < 256; n++)
        {
            s[n] = (byte)n;
        }

        var j = 0;
        for (var n = 0; n < 256; n++)
        {
            j = (j + s[n] + key[n % key.Length]) & 0xFF;
            (s[n], s[j]) = (s[j], s[n]);
        }
    }

    /// <summary>A cipher keyed for MSE: the key schedule, then the first 1024 keystream bytes thrown away.</summary>
    public static Rc4 ForMse(ReadOnlySpan<byte> key)
    {
        var rc4 = new Rc4(key);
        rc4.Skip(MseDiscard);
        return rc4;
    }

    /// <summary>Advances the keystream by <paramref name="count"/> bytes without using them.</summary>
    public void Skip(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        Span<byte> scratch = stackalloc byte[256];
        while (count > 0)
        {
            var chunk = Math.Min(count, scratch.Length);
            Transform(scratch[..chunk]);
            count -= chunk;
        }
    }

    /// <summary>XORs the next keystream bytes into <paramref name="data"/> in place.</summary>
    public void Transform(Span<byte> data) => Transform(data, data);

    /// <summary>Writes <paramref name="source"/> XOR the next keystream bytes into <paramref name="destination"/> (which may be the same memory).</summary>
    /// <exception cref="ArgumentException">The destination is shorter than the source.</exception>
    public void Transform(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        if (destination.Length < source.Length)
        {
            throw new ArgumentException($"The destination has room for {destination.Length} bytes, not {source.Length}.", nameof(destination));
        }

        // Indexes are bytes, so every access is within the 256-byte state: no bounds checks are needed.
        ref var s = ref MemoryMarshal.GetArrayDataReference(_state);
        ref var src = ref MemoryMarshal.GetReference(source);
        ref var dst = ref MemoryMarshal.GetReference(destination);
        var i = _i;
        var j = _j;
        var length = source.Length;
        for (var n = 0; n < length; n++)
        {
            i++;
            var si = Unsafe.Add(ref s, i);
            j += si;
            var sj = Unsafe.Add(ref s, j);
            Unsafe.Add(ref s, i) = sj;
            Unsafe.Add(ref s, j) = si;
            Unsafe.Add(ref dst, n) = (byte)(Unsafe.Add(ref src, n) ^ Unsafe.Add(ref s, (byte)(si + sj)));
        }

        _i = i;
        _j = j;
    }
}
