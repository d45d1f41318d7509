using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Security.Cryptography;

namespace SmartShare.BitTorrent.PeerWire.Encryption;

/// <summary>
/// MSE's arithmetic, shared by both sides of <see cref="MseHandshake"/> (and by the fuzzing harness, which plays the
/// other side honestly to reach the encrypted part): the 768-bit Diffie-Hellman group, key pairs, the shared secret
/// S and the SHA-1 hashes the handshake derives from it.
/// </summary>
[SuppressMessage("Security", "CA5350:Do Not Use Weak Cryptographic Algorithms", Justification = "MSE defines its hashes as SHA-1.")]
internal static class MseCrypto
{
    /// <summary>The length of a public key (Ya, Yb) and of S in bytes: 768 bits.</summary>
    public const int KeyLength = 96;

    public const int HashLength = 20;

    private const int PrivateKeyLength = 20;

    private static readonly BigInteger Prime = new(
        Convert.FromHexString(
            "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A63A36210000000000090563"),
        isUnsigned: true,
        isBigEndian: true);

    private static readonly BigInteger Generator = 2;

    /// <summary>A key pair from <paramref name="privateBytes"/> (big-endian), the public key as 96 big-endian bytes.</summary>
    public static (BigInteger Private, byte[] Public) KeyPairFrom(ReadOnlySpan<byte> privateBytes)
    {
        var privateKey = new BigInteger(privateBytes, isUnsigned: true, isBigEndian: true);
        return (privateKey, ToKeyBytes(BigInteger.ModPow(Generator, privateKey, Prime)));
    }

    public static (BigInteger Private, byte[] Public) NewKeyPair()
    {
        Span<byte> random = stackalloc byte[PrivateKeyLength];
        RandomNumberGenerator.Fill(random);
        return KeyPairFrom(random);
    }

    public static byte[] SharedSecret(ReadOnlySpan<byte> remotePublic, BigInteger privateKey) =>
        ToKeyBytes(BigInteger.ModPow(PublicKey(remotePublic), privateKey, Prime));

    /// <summary>The peer's public key as a number, refused unless it is one a real peer could send.</summary>
    public static BigInteger PublicKey(ReadOnlySpan<byte> remotePublic)
    {
        var y = new BigInteger(remotePublic, isUnsigned: true, isBigEndian: true);

        // 0, 1 and P - 1 (and anything not below P) would make the secret guessable: no real peer sends them.
        if (y <= BigInteger.One || y >= Prime - BigInteger.One)
        {
            throw new MseHandshakeException("The peer's Diffie-Hellman key is not a valid MSE public key.");
        }

        return y;
    }

    private static byte[] ToKeyBytes(BigInteger value)
    {
        var bytes = new byte[KeyLength];
        var length = value.GetByteCount(isUnsigned: true);
        if (!value.TryWriteBytes(bytes.AsSpan(KeyLength - length), out _, isUnsigned: true, isBigEndian: true))
        {
            throw new InvalidOperationException("A value below the MSE prime does not fit in 96 bytes.");
        }

        return bytes;
    }

    public static byte[] Hash(ReadOnlySpan<byte> label, byte[] secret)
    {
        Span<byte> input = stackalloc byte[4 + KeyLength];
        label.CopyTo(input);
        secret.CopyTo(input[4..]);
        return SHA1.HashData(input);
    }

    public static byte[] Hash(ReadOnlySpan<byte> label, byte[] secret, InfoHash skey)
    {
        Span<byte> input = stackalloc byte[4 + KeyLength + InfoHash.Length];
        label.CopyTo(input);
        secret.CopyTo(input[4..]);
        skey.WriteTo(input[(4 + KeyLength)..]);
        return SHA1.HashData(input);
    }

    public static void Xor(Span<byte> target, ReadOnlySpan<byte> other)
    {
        for (var n = 0; n < target.Length; n++)
        {
            target[n] ^= other[n];
        }
    }
}
