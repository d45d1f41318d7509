using SmartShare.BitTorrent;
using SmartShare.BitTorrent.PeerWire.Encryption;

namespace SmartShare.Fuzz.Targets;

/// <summary>
/// The MSE handshake, both sides, against a scripted peer. Byte 0 picks the mode: odd plays the other side honestly
/// (a fixed key pair, the real hashes for the torrent our side serves, and the rest of the input encrypted with the
/// real RC4 key), so the fuzzer drives the encrypted fields (VC, crypto, pad lengths, IA) a random peer could never
/// reach; even sends the rest of the input as it is. Byte 1 is the honest peer's pad length. After a handshake the
/// resulting stream is read to its end. Only <see cref="MseHandshakeException"/> may escape the handshake. Both sides'
/// Diffie-Hellman comes from <see cref="MseFixedKeys"/>: no 768-bit exponentiation per input.
/// </summary>
public static class MseTargets
{
    private static readonly InfoHash Skey = InfoHash.FromBytes(Enumerable.Repeat((byte)0x11, InfoHash.Length).ToArray());
    private static readonly MseSkeyTable SkeyTable = new([Skey], MseCryptoOffer.Plaintext | MseCryptoOffer.Rc4);
    private static readonly MseFixedKeys Keys = MseFixedKeys.Instance;
    private static readonly MseHandshakeOptions Options = new() { PadLength = 0, KeyExchange = Keys };

    // The responder pads its Yb as the node does (a random length); nothing it reads depends on that.
    private static readonly MseHandshakeOptions ResponderOptions = new() { KeyExchange = Keys };

    /// <summary>Our node answering an incoming connection (the listener side).</summary>
    public static void RunResponder(byte[] input) => CompletesAsResponder(input);

    /// <summary>Our node dialing a peer that claims to speak MSE.</summary>
    public static void RunInitiator(byte[] input) => CompletesAsInitiator(input);

    /// <summary>Runs the responder target; true when the handshake completed (for the harness's own tests).</summary>
    public static bool CompletesAsResponder(byte[] input)
    {
        var (honest, pad, rest) = Split(input);
        var (peerPrivate, peerPublic) = Keys.Peer;
        var stream = honest
            ? new ScriptedPeerStream([.. peerPublic, .. new byte[pad]], written => written.Length < MseCrypto.KeyLength ? null : Step3(written, peerPrivate, rest))
            : new ScriptedPeerStream(rest, null);
        return Run(() => MseHandshake.RespondAsync(stream, ReadOnlyMemory<byte>.Empty, SkeyTable, ResponderOptions, CancellationToken.None));

        // Once Ya is answered, step 3 is sent; the later write (the crypto select) gets no answer.
        static byte[] Step3(byte[] yb, System.Numerics.BigInteger peerPrivate, byte[] rest)
        {
            byte[] secret;
            try
            {
                secret = Keys.SharedSecret(yb.AsSpan(0, MseCrypto.KeyLength), peerPrivate);
            }
            catch (MseHandshakeException)
            {
                return [];
            }

            var obfuscated = new byte[MseCrypto.HashLength];
            MseHandshake.Req2Hash(Skey).WriteTo(obfuscated);
            MseCrypto.Xor(obfuscated, MseCrypto.Hash("req3"u8, secret));
            var encrypted = rest.ToArray();
            Rc4.ForMse(MseCrypto.Hash("keyA"u8, secret, Skey)).Transform(encrypted);
            return [.. MseCrypto.Hash("req1"u8, secret), .. obfuscated, .. encrypted];
        }
    }

    /// <summary>Runs the initiator target; true when the handshake completed.</summary>
    public static bool CompletesAsInitiator(byte[] input)
    {
        var (honest, pad, rest) = Split(input);
        var offer = input.Length > 0 && (input[0] & 2) != 0 ? MseCryptoOffer.Rc4 : MseCryptoOffer.Plaintext | MseCryptoOffer.Rc4;
        var (peerPrivate, peerPublic) = Keys.Peer;
        var answered = false;
        var stream = new ScriptedPeerStream([], written =>
        {
            if (answered || written.Length < MseCrypto.KeyLength)
            {
                return null;
            }

            answered = true;
            if (!honest)
            {
                return rest;
            }

            var secret = Keys.SharedSecret(written.AsSpan(0, MseCrypto.KeyLength), peerPrivate);
            var encrypted = rest.ToArray();
            Rc4.ForMse(MseCrypto.Hash("keyB"u8, secret, Skey)).Transform(encrypted);
            return [.. peerPublic, .. new byte[pad], .. encrypted];
        });
        return Run(() => MseHandshake.InitiateAsync(stream, Skey, offer, new byte[68], Options, CancellationToken.None));
    }

    private static (bool Honest, int Pad, byte[] Payload) Split(byte[] input) =>
        input.Length < 2 ? (false, 0, input) : ((input[0] & 1) != 0, input[1] % (MseHandshake.MaxPadLength + 1), input[2..]);

    private static bool Run(Func<Task<MseHandshakeResult>> handshake)
    {
        MseHandshakeResult result;
        try
        {
            result = handshake().GetAwaiter().GetResult();
        }
        catch (MseHandshakeException)
        {
            return false;
        }

        // Whatever followed the handshake comes out of the resulting stream (decrypted when RC4 was selected).
        var buffer = new byte[4096];
        while (result.Stream.Read(buffer) > 0)
        {
        }

        return true;
    }
}
