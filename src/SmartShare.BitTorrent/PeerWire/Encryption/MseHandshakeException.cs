namespace SmartShare.BitTorrent.PeerWire.Encryption;

/// <summary>
/// The one exception an MSE handshake throws for a failure of the peer or the network: the peer is not speaking
/// MSE, names a torrent we do not serve, offers no crypto we accept, sends too much, closes, or takes too long.
/// </summary>
public sealed class MseHandshakeException : Exception
{
    public MseHandshakeException()
        : base("The MSE handshake failed.")
    {
    }

    public MseHandshakeException(string message)
        : base(message)
    {
    }

    public MseHandshakeException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
