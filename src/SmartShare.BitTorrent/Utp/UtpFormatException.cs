namespace SmartShare.BitTorrent.Utp;

/// <summary>
/// The one exception the uTP codec throws: a datagram on the BitTorrent UDP port that claimed to be uTP (BEP 29) is
/// not a valid packet. The message is a sentence saying what was wrong.
/// </summary>
public sealed class UtpFormatException : Exception
{
    public UtpFormatException()
        : base("A malformed uTP packet.")
    {
    }

    public UtpFormatException(string message)
        : base(message)
    {
    }

    public UtpFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
