using System.Text;

namespace SmartShare.BitTorrent.PeerWire;

/// <summary>
/// The 20-byte id a peer announces in its handshake. A value type like <see cref="InfoHash"/>: copies are cheap
/// and equality is by content.
/// </summary>
public readonly struct PeerId : IEquatable<PeerId>
{
    /// <summary>The length of a peer id in bytes.</summary>
    public const int Length = 20;

    /// <summary>The Azureus-style prefix of the ids this client generates: SmartShare, version 0001.</summary>
    public const string ClientPrefix = "-SS0001-";

    private const string Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    // The largest multiple of the alphabet's size that fits in a byte; random bytes at or above it are drawn again
    // so that every character is equally likely.
    private const int UnbiasedLimit = 256 / 62 * 62;

    private readonly Bytes20 _bytes;

    private PeerId(Bytes20 bytes)
    {
        _bytes = bytes;
    }

    /// <summary>Wraps 20 bytes that already are a peer id.</summary>
    /// <exception cref="ArgumentException">The span is not 20 bytes long.</exception>
    public static PeerId FromBytes(ReadOnlySpan<byte> bytes)
    {
        return new PeerId(Bytes20.Read(bytes, "A peer id"));
    }

    /// <summary>A new Azureus-style id: <c>-SS0001-</c> and 12 random characters from [0-9A-Za-z].</summary>
    public static PeerId Generate(IRandomSource random)
    {
        ArgumentNullException.ThrowIfNull(random);
        Span<byte> id = stackalloc byte[Length];
        Encoding.ASCII.GetBytes(ClientPrefix, id);
        Span<byte> draw = stackalloc byte[32];
        var next = ClientPrefix.Length;
        while (next < Length)
        {
            random.Fill(draw);
            foreach (var b in draw)
            {
                if (b < UnbiasedLimit)
                {
                    id[next++] = (byte)Alphabet[b % Alphabet.Length];
                    if (next == Length)
                    {
                        break;
                    }
                }
            }
        }

        return FromBytes(id);
    }

    public static bool operator ==(PeerId left, PeerId right) => left.Equals(right);

    public static bool operator !=(PeerId left, PeerId right) => !left.Equals(right);

    /// <summary>Writes the 20 bytes into <paramref name="destination"/>.</summary>
    public void WriteTo(Span<byte> destination)
    {
        _bytes.WriteTo(destination, "A peer id");
    }

    /// <summary>The 20 bytes in a new array.</summary>
    public byte[] ToArray()
    {
        var bytes = new byte[Length];
        WriteTo(bytes);
        return bytes;
    }

    public bool Equals(PeerId other) => _bytes == other._bytes;

    public override bool Equals(object? obj) => obj is PeerId other && Equals(other);

    public override int GetHashCode() => _bytes.GetHashCode();

    /// <summary>The id as text: printable ASCII kept, every other byte (and '%' itself) written as %XX.</summary>
    public override string ToString()
    {
        Span<byte> bytes = stackalloc byte[Length];
        WriteTo(bytes);
        var text = new StringBuilder(Length * 3);
        foreach (var b in bytes)
        {
            if (b is >= 0x20 and <= 0x7e && b != (byte)'%')
            {
                text.Append((char)b);
            }
            else
            {
                text.Append('%').Append(Convert.ToHexString([b]));
            }
        }

        return text.ToString();
    }
}
