using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;

namespace SmartShare.Lbry.Blobs;

/// <summary>
/// The name of a blob: the SHA-384 of its bytes. Held as 48 bytes and written as
/// 96 lowercase hex digits, the only spelling lbry-sdk accepts for blob names.
/// </summary>
public readonly struct BlobHash : IEquatable<BlobHash>
{
    public const int Size = 48;
    public const int HexLength = Size * 2;

    private readonly byte[]? _bytes;

    private BlobHash(ReadOnlySpan<byte> bytes)
    {
        _bytes = bytes.ToArray();
    }

    public ReadOnlySpan<byte> Bytes => _bytes;

    public static BlobHash FromBytes(ReadOnlySpan<byte> digest)
    {
        if (digest.Length != Size)
        {
            throw new ArgumentException($"A blob hash is {Size} bytes, not {digest.Length}.", nameof(digest));
        }

        return new BlobHash(digest);
    }

    /// <summary>Hashes blob content.</summary>
    public static BlobHash Compute(ReadOnlySpan<byte> content)
    {
        Span<byte> digest = stackalloc byte[Size];
        SHA384.HashData(content, digest);
        return new BlobHash(digest);
    }

    /// <summary>Parses exactly 96 lowercase hex digits.</summary>
    public static bool TryParse([NotNullWhen(true)] string? text, out BlobHash hash) =>
        TryParse(text.AsSpan(), out hash);

    public static bool TryParse(ReadOnlySpan<char> text, out BlobHash hash)
    {
        hash = default;
        if (text.Length != HexLength)
        {
            return false;
        }

        foreach (var c in text)
        {
            if (!char.IsAsciiHexDigitLower(c) && !char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        Span<byte> digest = stackalloc byte[Size];
        if (Convert.FromHexString(text, digest, out _, out _) != System.Buffers.OperationStatus.Done)
        {
            return false;
        }

        hash = new BlobHash(digest);
        return true;
    }

    /// <summary>Parses a hash typed by a user or read from a file, with a sentence saying what is wrong.</summary>
    public static BlobHash Parse(string text, string what = "hash")
    {
        ArgumentNullException.ThrowIfNull(text);
        if (TryParse(text, out var hash))
        {
            return hash;
        }

        var trimmed = text.Trim();
        if (trimmed.Length != HexLength)
        {
            throw new FormatException(
                $"The {what} '{Shorten(text)}' is {trimmed.Length} characters long; it must be {HexLength} hex digits.");
        }

        if (TryParse(trimmed.ToLowerInvariant(), out hash))
        {
            return hash;
        }

        throw new FormatException($"The {what} '{Shorten(text)}' is not hex: only 0-9 and a-f may appear.");
    }

    public bool Equals(BlobHash other) => Bytes.SequenceEqual(other.Bytes);

    public override bool Equals(object? obj) => obj is BlobHash other && Equals(other);

    public override int GetHashCode()
    {
        // SHA-384 output is uniform; eight of its bytes make a fine hash code.
        return HashCode.Combine(BitConverter.ToInt64(Bytes));
    }

    public override string ToString() => Convert.ToHexStringLower(Bytes);

    public static bool operator ==(BlobHash left, BlobHash right) => left.Equals(right);

    public static bool operator !=(BlobHash left, BlobHash right) => !left.Equals(right);

    private static string Shorten(string text) => text.Length <= 120 ? text : string.Concat(text.AsSpan(0, 117), "...");
}
