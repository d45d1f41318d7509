namespace SmartShare.BitTorrent.PeerWire.Encryption;

/// <summary>What a completed MSE handshake leaves.</summary>
/// <param name="Stream">The stream to go on with: an <see cref="Rc4Stream"/> over the connection's stream when RC4 was
/// selected, otherwise the connection's stream itself (either may be wrapped to first return bytes the handshake
/// read past its end). Disposing it disposes the connection's stream.</param>
/// <param name="SelectedCrypto">Exactly one of <see cref="MseCryptoOffer.Plaintext"/> and <see cref="MseCryptoOffer.Rc4"/>.</param>
/// <param name="Skey">The shared key: the info hash of the torrent.</param>
/// <param name="InitialPayload">For the responder, the initiator's IA (normally its 68-byte BitTorrent handshake),
/// already decrypted: read it before <paramref name="Stream"/>. Empty for the initiator.</param>
public sealed record MseHandshakeResult(Stream Stream, MseCryptoOffer SelectedCrypto, InfoHash Skey, ReadOnlyMemory<byte> InitialPayload);
