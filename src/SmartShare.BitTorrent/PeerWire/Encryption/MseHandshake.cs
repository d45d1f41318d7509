using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Net.Sockets;
using System.Numerics;
using System.Security.Cryptography;
using SmartShare.Threading;

namespace SmartShare.BitTorrent.PeerWire.Encryption;

/// <summary>
/// The Message Stream Encryption handshake (MSE/PE, as Azureus, libtorrent and Transmission speak it): a 768-bit
/// Diffie-Hellman exchange, then the initiator names the torrent by HASH('req2', SKEY) xor HASH('req3', S) and
/// offers crypto methods, and the responder selects one. SKEY is the info hash. Everything read is bounded (pads of
/// at most 512 bytes, a bounded IA, a timeout); a failure of the peer or the network is an
/// <see cref="MseHandshakeException"/>.
/// </summary>
[SuppressMessage("Security", "CA5350:Do Not Use Weak Cryptographic Algorithms", Justification = "MSE defines its hashes as SHA-1.")]
public static class MseHandshake
{
    /// <summary>The length of a public key (Ya, Yb) in bytes: 768 bits.</summary>
    public const int KeyLength = MseCrypto.KeyLength;

    /// <summary>The longest padding allowed anywhere in the handshake.</summary>
    public const int MaxPadLength = 512;

    /// <summary>The longest IA a responder accepts (a BitTorrent handshake is 68 bytes).</summary>
    public const int MaxInitialPayloadLength = 4096;

    private const int HashLength = MseCrypto.HashLength;
    private const int VcLength = 8;

    // The initiator reads Yb, PadB, then VC, crypto_select, len(PadD), PadD; the responder reads Ya, PadA, then
    // HASH('req1'), HASH('req2') xor HASH('req3'), VC, crypto_provide, len(PadC), PadC, len(IA), IA.
    private const int InitiatorReadLimit = KeyLength + MaxPadLength + VcLength + 4 + 2 + MaxPadLength;
    private const int ResponderReadLimit = KeyLength + MaxPadLength + HashLength + HashLength + VcLength + 4 + 2 + MaxPadLength + 2 + MaxInitialPayloadLength;

    /// <summary>
    /// Runs the initiator's side over <paramref name="stream"/>: offers <paramref name="offer"/> for the torrent
    /// <paramref name="skey"/> and sends <paramref name="initialPayload"/> (normally our BitTorrent handshake) as IA,
    /// encrypted, with the handshake.
    /// </summary>
    /// <exception cref="MseHandshakeException">The peer does not complete the handshake, selects a method not offered, or took longer than 10 s.</exception>
    public static Task<MseHandshakeResult> InitiateAsync(Stream stream, InfoHash skey, MseCryptoOffer offer, ReadOnlyMemory<byte> initialPayload, CancellationToken cancellationToken) =>
        InitiateAsync(stream, skey, offer, initialPayload, null, cancellationToken);

    /// <inheritdoc cref="InitiateAsync(Stream, InfoHash, MseCryptoOffer, ReadOnlyMemory{byte}, CancellationToken)"/>
    public static async Task<MseHandshakeResult> InitiateAsync(
        Stream stream, InfoHash skey, MseCryptoOffer offer, ReadOnlyMemory<byte> initialPayload, MseHandshakeOptions? options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        CheckOffer(offer, nameof(offer));
        if (initialPayload.Length > ushort.MaxValue)
        {
            throw new ArgumentException($"IA is at most {ushort.MaxValue} bytes, not {initialPayload.Length}.", nameof(initialPayload));
        }

        options ??= MseHandshakeOptions.Default;
        var padLength = PadLength(options);
        return await WithLimitsAsync(
            options,
            async token =>
            {
                var reader = new HandshakeReader(stream, InitiatorReadLimit, ReadOnlySpan<byte>.Empty);
                var (privateKey, publicKey) = options.KeyExchange.NewKeyPair();

                // 1 A->B: Ya, PadA
                await stream.WriteAsync(WithPadding(publicKey, padLength), token).ConfigureAwait(false);
                await stream.FlushAsync(token).ConfigureAwait(false);

                // 2 B->A: Yb, PadB
                await reader.FillAsync(KeyLength, token).ConfigureAwait(false);
                var secret = options.KeyExchange.SharedSecret(reader.Take(KeyLength), privateKey);

                // 3 A->B: HASH('req1', S), HASH('req2', SKEY) xor HASH('req3', S), ENCRYPT(VC, crypto_provide, len(PadC), PadC, len(IA)), ENCRYPT(IA)
                var encryptor = Rc4.ForMse(MseCrypto.Hash("keyA"u8, secret, skey));
                var decryptor = Rc4.ForMse(MseCrypto.Hash("keyB"u8, secret, skey));
                var message = new byte[HashLength + HashLength + VcLength + 4 + 2 + 2 + initialPayload.Length];
                MseCrypto.Hash("req1"u8, secret).CopyTo(message, 0);
                var obfuscated = message.AsSpan(HashLength, HashLength);
                Req2Hash(skey).WriteTo(obfuscated);
                MseCrypto.Xor(obfuscated, MseCrypto.Hash("req3"u8, secret));
                var encrypted = message.AsSpan(HashLength + HashLength);
                BinaryPrimitives.WriteUInt32BigEndian(encrypted[VcLength..], (uint)offer);
                BinaryPrimitives.WriteUInt16BigEndian(encrypted[(VcLength + 4)..], 0);
                BinaryPrimitives.WriteUInt16BigEndian(encrypted[(VcLength + 6)..], (ushort)initialPayload.Length);
                initialPayload.Span.CopyTo(encrypted[(VcLength + 8)..]);
                encryptor.Transform(encrypted);
                await stream.WriteAsync(message, token).ConfigureAwait(false);
                await stream.FlushAsync(token).ConfigureAwait(false);

                // 4 B->A: ENCRYPT(VC, crypto_select, len(PadD), PadD): find the VC behind PadB by what it encrypts to.
                var vc = new byte[VcLength];
                decryptor.Transform(vc);
                await reader.SkipToAsync(vc, MaxPadLength, "the responder's verification constant", token).ConfigureAwait(false);
                await reader.FillAsync(6, token).ConfigureAwait(false);
                var header = reader.Take(6);
                decryptor.Transform(header);
                var selected = (MseCryptoOffer)BinaryPrimitives.ReadUInt32BigEndian(header);
                if (selected is not (MseCryptoOffer.Plaintext or MseCryptoOffer.Rc4) || (selected & offer) == 0)
                {
                    throw new MseHandshakeException($"The responder selected crypto 0x{(uint)selected:x}, which is not one of the 0x{(int)offer:x} offered.");
                }

                var padD = BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(4));
                CheckPad(padD, "PadD");
                await reader.FillAsync(padD, token).ConfigureAwait(false);
                decryptor.Transform(reader.Take(padD));
                return Finish(stream, reader, selected, decryptor, encryptor, skey, ReadOnlyMemory<byte>.Empty);
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs the responder's side over <paramref name="stream"/>, the initiator's first bytes already read into
    /// <paramref name="alreadyRead"/>: the torrent must be in <paramref name="skeys"/>, and the crypto selected is RC4
    /// if both offer and table allow it, else plaintext if both allow that.
    /// </summary>
    /// <exception cref="MseHandshakeException">The peer is not speaking MSE, names a torrent not in the table, offers no method allowed, or took longer than 10 s.</exception>
    public static Task<MseHandshakeResult> RespondAsync(Stream stream, ReadOnlyMemory<byte> alreadyRead, MseSkeyTable skeys, CancellationToken cancellationToken) =>
        RespondAsync(stream, alreadyRead, skeys, null, cancellationToken);

    /// <summary>Runs the responder's side for the torrents <paramref name="candidates"/>, each allowing <paramref name="allowed"/>.</summary>
    /// <inheritdoc cref="RespondAsync(Stream, ReadOnlyMemory{byte}, MseSkeyTable, CancellationToken)"/>
    public static Task<MseHandshakeResult> RespondAsync(
        Stream stream, ReadOnlyMemory<byte> alreadyRead, IEnumerable<InfoHash> candidates, MseCryptoOffer allowed, CancellationToken cancellationToken) =>
        RespondAsync(stream, alreadyRead, new MseSkeyTable(candidates, allowed), null, cancellationToken);

    /// <inheritdoc cref="RespondAsync(Stream, ReadOnlyMemory{byte}, MseSkeyTable, CancellationToken)"/>
    public static async Task<MseHandshakeResult> RespondAsync(
        Stream stream, ReadOnlyMemory<byte> alreadyRead, MseSkeyTable skeys, MseHandshakeOptions? options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(skeys);
        if (alreadyRead.Length > ResponderReadLimit)
        {
            throw new MseHandshakeException($"The initiator sent {alreadyRead.Length} bytes, more than an MSE handshake holds.");
        }

        options ??= MseHandshakeOptions.Default;
        var padLength = PadLength(options);
        return await WithLimitsAsync(
            options,
            async token =>
            {
                var reader = new HandshakeReader(stream, ResponderReadLimit, alreadyRead.Span);

                // 1 A->B: Ya, PadA
                await reader.FillAsync(KeyLength, token).ConfigureAwait(false);
                var (privateKey, publicKey) = options.KeyExchange.NewKeyPair();
                var secret = options.KeyExchange.SharedSecret(reader.Take(KeyLength), privateKey);

                // 2 B->A: Yb, PadB
                await stream.WriteAsync(WithPadding(publicKey, padLength), token).ConfigureAwait(false);
                await stream.FlushAsync(token).ConfigureAwait(false);

                // 3 A->B: HASH('req1', S) behind PadA, HASH('req2', SKEY) xor HASH('req3', S), ENCRYPT(VC, crypto_provide, len(PadC), PadC, len(IA)), ENCRYPT(IA)
                await reader.SkipToAsync(MseCrypto.Hash("req1"u8, secret), MaxPadLength, "HASH('req1', S)", token).ConfigureAwait(false);
                await reader.FillAsync(HashLength, token).ConfigureAwait(false);
                var req2 = reader.Take(HashLength);
                MseCrypto.Xor(req2, MseCrypto.Hash("req3"u8, secret));
                if (!skeys.TryFind(req2, out var skey, out var allowed))
                {
                    throw new MseHandshakeException("The initiator asked for a torrent not served here.");
                }

                var decryptor = Rc4.ForMse(MseCrypto.Hash("keyA"u8, secret, skey));
                var encryptor = Rc4.ForMse(MseCrypto.Hash("keyB"u8, secret, skey));
                await reader.FillAsync(VcLength + 6, token).ConfigureAwait(false);
                var header = reader.Take(VcLength + 6);
                decryptor.Transform(header);
                if (header.AsSpan(0, VcLength).ContainsAnyExcept((byte)0))
                {
                    throw new MseHandshakeException("The initiator's verification constant is not 8 zero bytes.");
                }

                var provided = (MseCryptoOffer)BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(VcLength));
                var padC = BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(VcLength + 4));
                CheckPad(padC, "PadC");
                await reader.FillAsync(padC + 2, token).ConfigureAwait(false);
                var padAndLength = reader.Take(padC + 2);
                decryptor.Transform(padAndLength);
                var iaLength = BinaryPrimitives.ReadUInt16BigEndian(padAndLength.AsSpan(padC));
                if (iaLength > MaxInitialPayloadLength)
                {
                    throw new MseHandshakeException($"The initiator's IA is {iaLength} bytes, more than the {MaxInitialPayloadLength} accepted.");
                }

                await reader.FillAsync(iaLength, token).ConfigureAwait(false);
                var initialPayload = reader.Take(iaLength);
                decryptor.Transform(initialPayload);

                var common = provided & allowed;
                var selected = (common & MseCryptoOffer.Rc4) != 0 ? MseCryptoOffer.Rc4
                    : (common & MseCryptoOffer.Plaintext) != 0 ? MseCryptoOffer.Plaintext
                    : throw new MseHandshakeException($"The initiator offers crypto 0x{(uint)provided:x}; this torrent allows only 0x{(int)allowed:x}.");

                // 4 B->A: ENCRYPT(VC, crypto_select, len(PadD), PadD), with no PadD
                var answer = new byte[VcLength + 6];
                BinaryPrimitives.WriteUInt32BigEndian(answer.AsSpan(VcLength), (uint)selected);
                encryptor.Transform(answer);
                await stream.WriteAsync(answer, token).ConfigureAwait(false);
                await stream.FlushAsync(token).ConfigureAwait(false);
                return Finish(stream, reader, selected, decryptor, encryptor, skey, initialPayload);
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>HASH('req2', SKEY): what names a torrent in the handshake, before it is obfuscated with HASH('req3', S).</summary>
    public static InfoHash Req2Hash(InfoHash skey)
    {
        Span<byte> input = stackalloc byte[4 + InfoHash.Length];
        "req2"u8.CopyTo(input);
        skey.WriteTo(input[4..]);
        Span<byte> hash = stackalloc byte[HashLength];
        SHA1.HashData(input, hash);
        return InfoHash.FromBytes(hash);
    }

    private static MseHandshakeResult Finish(
        Stream stream, HandshakeReader reader, MseCryptoOffer selected, Rc4 decryptor, Rc4 encryptor, InfoHash skey, ReadOnlyMemory<byte> initialPayload)
    {
        // Whatever was read past the handshake is payload: decrypted now if RC4 goes on, handed back first either way.
        var leftover = reader.TakeRest();
        if (selected == MseCryptoOffer.Rc4)
        {
            decryptor.Transform(leftover);
            return new MseHandshakeResult(PrefixedStream.Over(leftover, new Rc4Stream(stream, decryptor, encryptor)), selected, skey, initialPayload);
        }

        return new MseHandshakeResult(PrefixedStream.Over(leftover, stream), selected, skey, initialPayload);
    }

    private static async Task<MseHandshakeResult> WithLimitsAsync(MseHandshakeOptions options, Func<CancellationToken, Task<MseHandshakeResult>> run, CancellationToken cancellationToken)
    {
        using var timeout = new TimeLimit(options.Timeout, options.Time, cancellationToken);

        try
        {
            return await run(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new MseHandshakeException($"The MSE handshake took longer than {options.Timeout.TotalSeconds:0.###} s.", e);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            throw new MseHandshakeException($"The connection broke during the MSE handshake: {e.Message}", e);
        }
    }

    private static void CheckOffer(MseCryptoOffer offer, string name)
    {
        if ((offer & (MseCryptoOffer.Plaintext | MseCryptoOffer.Rc4)) == 0 || (offer & ~(MseCryptoOffer.Plaintext | MseCryptoOffer.Rc4)) != 0)
        {
            throw new ArgumentException("Offer plaintext, RC4 or both.", name);
        }
    }

    private static void CheckPad(int length, string name)
    {
        if (length > MaxPadLength)
        {
            throw new MseHandshakeException($"{name} is {length} bytes, more than the {MaxPadLength} allowed.");
        }
    }

    private static int PadLength(MseHandshakeOptions options)
    {
        if (options.PadLength is { } fixedLength)
        {
            return fixedLength is >= 0 and <= MaxPadLength
                ? fixedLength
                : throw new ArgumentException($"Padding is 0 to {MaxPadLength} bytes, not {fixedLength}.", nameof(options));
        }

        return RandomNumberGenerator.GetInt32(MaxPadLength + 1);
    }

    private static byte[] WithPadding(byte[] publicKey, int padLength)
    {
        var message = new byte[KeyLength + padLength];
        publicKey.CopyTo(message, 0);
        RandomNumberGenerator.Fill(message.AsSpan(KeyLength));
        return message;
    }

    /// <summary>The handshake's reads: a bounded buffer filled from the stream as the steps need bytes.</summary>
    private sealed class HandshakeReader
    {
        private readonly Stream _stream;
        private readonly byte[] _buffer;
        private int _start;
        private int _end;

        public HandshakeReader(Stream stream, int limit, ReadOnlySpan<byte> alreadyRead)
        {
            _stream = stream;
            _buffer = new byte[limit];
            alreadyRead.CopyTo(_buffer);
            _end = alreadyRead.Length;
        }

        /// <summary>Reads until at least <paramref name="count"/> unconsumed bytes are buffered.</summary>
        public async Task FillAsync(int count, CancellationToken token)
        {
            if (_start + count > _buffer.Length)
            {
                throw new MseHandshakeException("The peer's MSE handshake is longer than any valid one.");
            }

            while (_end - _start < count)
            {
                await ReadMoreAsync(token).ConfigureAwait(false);
            }
        }

        /// <summary>Consumes bytes up to and including <paramref name="pattern"/>, which must start within <paramref name="maxSkip"/> bytes.</summary>
        public async Task SkipToAsync(ReadOnlyMemory<byte> pattern, int maxSkip, string what, CancellationToken token)
        {
            while (true)
            {
                var found = _buffer.AsSpan(_start, _end - _start).IndexOf(pattern.Span);
                if (found >= 0 && found <= maxSkip)
                {
                    _start += found + pattern.Length;
                    return;
                }

                if (found > maxSkip || _end - _start >= maxSkip + pattern.Length)
                {
                    throw new MseHandshakeException($"The peer sent no {what} within {maxSkip} bytes of padding.");
                }

                await ReadMoreAsync(token).ConfigureAwait(false);
            }
        }

        /// <summary>Consumes <paramref name="count"/> buffered bytes, handing them back as a copy to decrypt in place.</summary>
        public byte[] Take(int count)
        {
            var taken = _buffer.AsSpan(_start, count).ToArray();
            _start += count;
            return taken;
        }

        /// <summary>Whatever was read beyond what has been consumed.</summary>
        public byte[] TakeRest() => Take(_end - _start);

        private async Task ReadMoreAsync(CancellationToken token)
        {
            if (_end == _buffer.Length)
            {
                throw new MseHandshakeException("The peer's MSE handshake is longer than any valid one.");
            }

            var read = await _stream.ReadAsync(_buffer.AsMemory(_end), token).ConfigureAwait(false);
            if (read == 0)
            {
                throw new MseHandshakeException("The peer closed the connection during the MSE handshake.");
            }

            _end += read;
        }
    }
}
