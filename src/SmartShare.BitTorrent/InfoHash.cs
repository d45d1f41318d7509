using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;

namespace SmartShare.BitTorrent;

/// <summary>
/// A BitTorrent v1 info hash: the 20-byte SHA-1 of the exact bencoded bytes of a torrent's info dictionary.
/// Written as 40 lowercase hex digits, as in magnet links.
/// </summary>
public readonly struct InfoHash : IEquatable<InfoHash>
{
    /// <summary>The length of an info hash in bytes.</summary>
    public const int Length = 20;

    private readonly Bytes20 _bytes;

    private InfoHash(Bytes20 bytes)
    {
        _bytes = bytes;
    }

    /// <summary>Wraps 20 bytes that already are an info hash.</summary>
    /// <exception cref="ArgumentException">The span is not 20 bytes long.</exception>
    public static InfoHash FromBytes(ReadOnlySpan<byte> bytes)
    {
        return new InfoHash(Bytes20.Read(bytes, "An info hash"));
    }

    /// <summary>Hashes the exact bencoded bytes of an info dictionary.</summary>
    [SuppressMessage("Security", "CA5350:Do Not Use Weak Cryptographic Algorithms", Justification = "BitTorrent v1 defines the info hash as SHA-1.")]
    public static InfoHash Compute(ReadOnlySpan<byte> infoDictionary)
    {
        Span<byte> hash = stackalloc byte[Length];
        SHA1.HashData(infoDictionary, hash);
        return FromBytes(hash);
    }

    /// <summary>Parses 40 hex digits, upper or lower case.</summary>
    /// <exception cref="FormatException">The text is not 40 hex digits.</exception>
    public static InfoHash Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TryParse(text, out var hash)
            ? hash
            : throw new FormatException($"An info hash is 40 hex digits; \"{Shorten(text)}\" is not.");
    }

    /// <summary>Parses 40 hex digits, upper or lower case, returning false for anything else.</summary>
    public static bool TryParse([NotNullWhen(true)] string? text, out InfoHash hash)
    {
        hash = default;
        if (text is null || text.Length != Length * 2)
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[Length];
        if (Convert.FromHexString(text, bytes, out _, out var written) != System.Buffers.OperationStatus.Done || written != Length)
        {
            return false;
        }

        hash = FromBytes(bytes);
        return true;
    }

    public static bool operator ==(InfoHash left, InfoHash right) => left.Equals(right);

    public static bool operator !=(InfoHash left, InfoHash right) => !left.Equals(right);

    /// <summary>Writes the 20 bytes into <paramref name="destination"/>.</summary>
    public void WriteTo(Span<byte> destination)
    {
        _bytes.WriteTo(destination, "An info hash");
    }

    /// <summary>The 20 bytes in a new array.</summary>
    public byte[] ToArray()
    {
        var bytes = new byte[Length];
        WriteTo(bytes);
        return bytes;
    }

    public bool Equals(InfoHash other) => _bytes == other._bytes;

    public override bool Equals(object? obj) => obj is InfoHash other && Equals(other);

    public override int GetHashCode() => _bytes.GetHashCode();

    /// <summary>40 lowercase hex digits.</summary>
    public override string ToString()
    {
        Span<byte> bytes = stackalloc byte[Length];
        WriteTo(bytes);
        return Convert.ToHexStringLower(bytes);
    }

    private static string Shorten(string text) => text.Length <= 60 ? text : string.Concat(text.AsSpan(0, 60), "...");
}
