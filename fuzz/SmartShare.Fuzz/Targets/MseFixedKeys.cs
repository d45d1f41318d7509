using System.Numerics;
using System.Security.Cryptography;
using SmartShare.BitTorrent.PeerWire.Encryption;

namespace SmartShare.Fuzz.Targets;

/// <summary>
/// The MSE targets' key exchange (<see cref="MseHandshakeOptions.KeyExchange"/>, never set in the node): our side's
/// key pair is fixed, and the secret S for the one public key the harness plays (its fixed peer key) is computed once
/// with the real exponentiation and then remembered, so an input costs no 768-bit exponentiation. Every public key
/// still goes through <see cref="MseCrypto.PublicKey"/>, the node's own check. A key the harness did not play (raw
/// mode: the fuzzer's bytes) gets a stand-in S hashed from it: no peer that does not know S can tell, since all it can
/// ever see of S is SHA-1 hashes and RC4 keys, so the handshake's code runs as with the real exponentiation.
/// </summary>
internal sealed class MseFixedKeys : MseKeyExchange
{
    public static MseFixedKeys Instance { get; } = new();

    private MseFixedKeys()
    {
        Ours = MseCrypto.KeyPairFrom(Enumerable.Repeat((byte)0x3c, 20).ToArray());
        Peer = MseCrypto.KeyPairFrom(Enumerable.Repeat((byte)0x5a, 20).ToArray());
        Secret = MseCrypto.SharedSecret(Peer.Public, Ours.Private);
    }

    /// <summary>The node's key pair in every handshake the targets run.</summary>
    public (BigInteger Private, byte[] Public) Ours { get; }

    /// <summary>The key pair of the peer the harness plays in honest mode.</summary>
    public (BigInteger Private, byte[] Public) Peer { get; }

    /// <summary>S between <see cref="Ours"/> and <see cref="Peer"/>, from the real exponentiation.</summary>
    public byte[] Secret { get; }

    public override (BigInteger Private, byte[] Public) NewKeyPair() => (Ours.Private, Ours.Public.ToArray());

    public override byte[] SharedSecret(ReadOnlySpan<byte> remotePublic, BigInteger privateKey)
    {
        _ = MseCrypto.PublicKey(remotePublic);
        if ((privateKey == Ours.Private && remotePublic.SequenceEqual(Peer.Public))
            || (privateKey == Peer.Private && remotePublic.SequenceEqual(Ours.Public)))
        {
            return Secret.ToArray();
        }

        return [.. SHA512.HashData(remotePublic), .. SHA256.HashData(remotePublic)];
    }
}
