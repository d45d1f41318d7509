using System.Numerics;

namespace SmartShare.BitTorrent.PeerWire.Encryption;

/// <summary>
/// The Diffie-Hellman half of <see cref="MseHandshake"/>: our key pair for one handshake and the secret S shared
/// with the peer's public key. <see cref="Random"/> is what the node uses; the fuzzing harness derives from this
/// class (see <see cref="MseHandshakeOptions.KeyExchange"/>).
/// </summary>
internal class MseKeyExchange
{
    /// <summary>A new random private key per handshake and the real exponentiations.</summary>
    public static MseKeyExchange Random { get; } = new();

    /// <summary>Our private key and the public key (96 big-endian bytes) sent as Ya or Yb.</summary>
    public virtual (BigInteger Private, byte[] Public) NewKeyPair() => MseCrypto.NewKeyPair();

    /// <summary>S from the peer's public key; <see cref="MseHandshakeException"/> when that key is not a valid one.</summary>
    public virtual byte[] SharedSecret(ReadOnlySpan<byte> remotePublic, BigInteger privateKey) => MseCrypto.SharedSecret(remotePublic, privateKey);
}
