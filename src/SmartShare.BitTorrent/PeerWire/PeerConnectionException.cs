namespace SmartShare.BitTorrent.PeerWire;

/// <summary>The one exception a <see cref="PeerConnection"/> throws for a failure of the peer or the network.</summary>
public sealed class PeerConnectionException : Exception
{
    public PeerConnectionException()
        : this(PeerConnectionErrorKind.Closed, "The peer connection failed.")
    {
    }

    public PeerConnectionException(string message)
        : this(PeerConnectionErrorKind.Closed, message)
    {
    }

    public PeerConnectionException(string message, Exception innerException)
        : this(PeerConnectionErrorKind.Closed, message, innerException)
    {
    }

    public PeerConnectionException(PeerConnectionErrorKind kind, string message)
        : base(message)
    {
        Kind = kind;
    }

    public PeerConnectionException(PeerConnectionErrorKind kind, string message, Exception? innerException)
        : base(message, innerException)
    {
        Kind = kind;
    }

    /// <summary>What went wrong.</summary>
    public PeerConnectionErrorKind Kind { get; }
}
