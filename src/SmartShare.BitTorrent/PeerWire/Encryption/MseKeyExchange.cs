using System.Numerics;

namespace SmartShare.BitTorrent.PeerWire.Encryption;

/// <summary>
/// The Diffie-Hellman half of <see cref="MseHandshake"/>: our key pair for one handshake and the secret S shared
/// with the peer's public key. <see cref="Random"/> is what the node uses; the fuzzing harness derives from this
/// class (see <see cref="MseHandshakeOptions.KeyExchange"/>).
/// </summary>
/// <remarks>
/// <see cref="Random"/> keeps one key pair computed ahead on the thread pool, so a handshake does not wait for the
/// exponentiation: 2-4 ms in a fresh process's first dial, BigInteger's first-time code included. Each pair serves one
/// handshake: taking it starts the next one, and a handshake that finds none (many at once) computes its own.
/// </remarks>
internal class MseKeyExchange
{
    private KeyPair? _ahead;
    private int _preparing;

    /// <summary>A new random private key per handshake and the real exponentiations.</summary>
    public static MseKeyExchange Random { get; } = new();

    /// <summary>Whether a key pair computed ahead is waiting (for tests).</summary>
    internal bool HasPairAhead => Volatile.Read(ref _ahead) is not null;

    /// <summary>Starts computing a key pair for the next handshake on the thread pool, unless one is ready or under way.</summary>
    public void PrepareAhead()
    {
        if (Volatile.Read(ref _ahead) is not null || Interlocked.Exchange(ref _preparing, 1) != 0)
        {
            return;
        }

        ThreadPool.UnsafeQueueUserWorkItem(
            static self =>
            {
                try
                {
                    var (privateKey, publicKey) = MseCrypto.NewKeyPair();
                    Volatile.Write(ref self._ahead, new KeyPair(privateKey, publicKey));
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    // On the thread pool an escaping exception would end the process; the next handshake computes its own pair.
                }
                finally
                {
                    Volatile.Write(ref self._preparing, 0);
                }
            },
            this,
            preferLocal: false);
    }

    /// <summary>Our private key and the public key (96 big-endian bytes) sent as Ya or Yb.</summary>
    public virtual (BigInteger Private, byte[] Public) NewKeyPair()
    {
        var ahead = Interlocked.Exchange(ref _ahead, null);
        PrepareAhead();
        return ahead is not null ? (ahead.Private, ahead.Public) : MseCrypto.NewKeyPair();
    }

    /// <summary>S from the peer's public key; <see cref="MseHandshakeException"/> when that key is not a valid one.</summary>
    public virtual byte[] SharedSecret(ReadOnlySpan<byte> remotePublic, BigInteger privateKey) => MseCrypto.SharedSecret(remotePublic, privateKey);

    private sealed record KeyPair(BigInteger Private, byte[] Public);
}
