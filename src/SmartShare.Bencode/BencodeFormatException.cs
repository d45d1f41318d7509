namespace SmartShare.Bencode;

/// <summary>
/// The one exception bencode decoding throws: the input is malformed, breaks the mode's rules or exceeds a
/// <see cref="BencodeLimits"/> bound. <see cref="Offset"/> is the byte offset in the input where it went wrong.
/// </summary>
public sealed class BencodeFormatException : FormatException
{
    public BencodeFormatException()
        : this("Malformed bencode", 0)
    {
    }

    public BencodeFormatException(string message)
        : this(message, 0)
    {
    }

    public BencodeFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
        Reason = message;
    }

    public BencodeFormatException(string reason, int offset)
        : base($"{reason} at byte offset {offset}.")
    {
        Offset = offset;
        Reason = reason;
    }

    /// <summary>The byte offset in the input where decoding failed.</summary>
    public int Offset { get; }

    /// <summary>What was wrong, without the offset.</summary>
    public string Reason { get; } = string.Empty;
}
