namespace SmartShare.BitTorrent.PeerWire.Encryption;

/// <summary>
/// The crypto methods of an MSE handshake, as the bits of <c>crypto_provide</c> and <c>crypto_select</c>: an offer
/// may hold both, a selection exactly one.
/// </summary>
[Flags]
public enum MseCryptoOffer
{
    /// <summary>No method: as a connection's crypto, a plain BitTorrent handshake without MSE.</summary>
    None = 0,

    /// <summary>After the MSE handshake the payload flows unencrypted (0x01).</summary>
    Plaintext = 0x01,

    /// <summary>After the MSE handshake the payload is RC4-encrypted (0x02).</summary>
    Rc4 = 0x02,
}
