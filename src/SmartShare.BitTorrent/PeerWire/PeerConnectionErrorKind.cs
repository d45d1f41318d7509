namespace SmartShare.BitTorrent.PeerWire;

/// <summary>Why a <see cref="PeerConnection"/> failed.</summary>
public enum PeerConnectionErrorKind
{
    /// <summary>The TCP connection could not be made.</summary>
    ConnectFailed,

    /// <summary>Dialing, the handshake, or a read took longer than its timeout.</summary>
    TimedOut,

    /// <summary>The peer did not complete a valid BitTorrent handshake.</summary>
    HandshakeFailed,

    /// <summary>The peer's handshake names a different torrent.</summary>
    WrongInfoHash,

    /// <summary>The peer has our own peer id: we dialed ourselves.</summary>
    SelfConnection,

    /// <summary>The connection was closed, by the peer, by the network, or by disposing it.</summary>
    Closed,

    /// <summary>The peer sent a malformed message; the inner exception is the <see cref="PeerWireFormatException"/>.</summary>
    ProtocolViolation,

    /// <summary>
    /// The MSE handshake failed (the inner exception is the <see cref="Encryption.MseHandshakeException"/>), or the
    /// peer's kind of handshake is refused by <see cref="PeerConnectionOptions.Encryption"/>.
    /// </summary>
    EncryptionFailed,
}
