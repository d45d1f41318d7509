namespace SmartShare.BitTorrent.PeerWire;

/// <summary>
/// The one exception the peer wire codecs throw: a peer sent bytes that are not a valid handshake or message.
/// The message is a sentence saying what was wrong.
/// </summary>
public sealed class PeerWireFormatException : Exception
{
    public PeerWireFormatException()
        : base("A peer sent a malformed message.")
    {
    }

    public PeerWireFormatException(string message)
        : base(message)
    {
    }

    public PeerWireFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
