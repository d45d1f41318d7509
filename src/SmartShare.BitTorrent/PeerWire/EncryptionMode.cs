namespace SmartShare.BitTorrent.PeerWire;

/// <summary>
/// Whether peer connections use Message Stream Encryption (MSE/PE), the node's <c>bt_encryption</c> setting.
/// </summary>
public enum EncryptionMode
{
    /// <summary>
    /// Dial with MSE offering RC4 and plaintext (and dial again with a plain handshake once if the peer does not
    /// speak MSE); accept MSE and plain handshakes alike. As responder we select RC4 whenever it is offered.
    /// </summary>
    Prefer,

    /// <summary>Dial with MSE offering RC4 only, never plain; accept only MSE handshakes that select RC4.</summary>
    Require,

    /// <summary>Dial with plain handshakes only and refuse MSE handshakes.</summary>
    Disable,
}
