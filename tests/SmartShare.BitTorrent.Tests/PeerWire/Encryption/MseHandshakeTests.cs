using System.Security.Cryptography;
using Microsoft.Extensions.Time.Testing;
using SmartShare.BitTorrent.PeerWire.Encryption;

namespace SmartShare.BitTorrent.Tests.PeerWire.Encryption;

public sealed class MseHandshakeTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(20);
    private static readonly InfoHash Skey = InfoHash.Compute("torrent"u8);
    private static readonly InfoHash OtherSkey = InfoHash.Compute("another torrent"u8);

    public static TheoryData<bool, MseCryptoOffer, MseCryptoOffer> Combinations()
    {
        var data = new TheoryData<bool, MseCryptoOffer, MseCryptoOffer>();
        MseCryptoOffer[] sets = [MseCryptoOffer.Plaintext, MseCryptoOffer.Rc4, MseCryptoOffer.Plaintext | MseCryptoOffer.Rc4];
        foreach (var loopback in new[] { false, true })
        {
            foreach (var offer in sets)
            {
                foreach (var allowed in sets)
                {
                    data.Add(loopback, offer, allowed);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Combinations))]
    public async Task Every_offer_meets_every_allowed_set_selecting_rc4_when_both_have_it_and_refusing_when_they_share_nothing(
        bool loopback, MseCryptoOffer offer, MseCryptoOffer allowed)
    {
        var (a, b) = await DuplexStreams.Make(loopback);
        await using var _ = a;
        await using var __ = b;
        var ia = RandomNumberGenerator.GetBytes(68);
        var initiating = MseHandshake.InitiateAsync(a, Skey, offer, ia, CancellationToken.None);
        var responding = Respond(b, [Skey, OtherSkey], allowed);

        var common = offer & allowed;
        if (common == MseCryptoOffer.None)
        {
            await Assert.ThrowsAsync<MseHandshakeException>(() => responding.WaitAsync(Limit));
            b.Dispose();
            await Assert.ThrowsAsync<MseHandshakeException>(() => initiating.WaitAsync(Limit));
            return;
        }

        var initiator = await initiating.WaitAsync(Limit);
        var responder = await responding.WaitAsync(Limit);
        var expected = (common & MseCryptoOffer.Rc4) != 0 ? MseCryptoOffer.Rc4 : MseCryptoOffer.Plaintext;
        Assert.Equal(expected, initiator.SelectedCrypto);
        Assert.Equal(expected, responder.SelectedCrypto);
        Assert.Equal(Skey, responder.Skey);
        Assert.Equal(Skey, initiator.Skey);
        Assert.Equal(ia, responder.InitialPayload.ToArray());
        Assert.True(initiator.InitialPayload.IsEmpty);

        // Responder to initiator through both ciphers, 16 KiB blocks and odd sizes.
        var down = RandomNumberGenerator.GetBytes((5 * 16384) + 77);
        var writing = Task.Run(async () =>
        {
            for (var offset = 0; offset < down.Length; offset += 16384)
            {
                await responder.Stream.WriteAsync(down.AsMemory(offset, Math.Min(16384, down.Length - offset)));
            }

            await responder.Stream.FlushAsync();
        });
        Assert.Equal(down, await ReadExactlyAsync(initiator.Stream, down.Length));
        await writing.WaitAsync(Limit);

        // Initiator to responder: on the wire (read under the responder's cipher) it is ciphertext only with RC4,
        // and the caller's buffer is left as it was.
        var up = RandomNumberGenerator.GetBytes(4096);
        var copy = up.ToArray();
        await initiator.Stream.WriteAsync(up);
        await initiator.Stream.FlushAsync();
        Assert.Equal(copy, up);
        var wire = await ReadExactlyAsync(b, up.Length);
        if (expected == MseCryptoOffer.Rc4)
        {
            Assert.NotEqual(up, wire);
        }
        else
        {
            Assert.Equal(up, wire);
        }
    }

    [Fact]
    public async Task A_torrent_the_responder_does_not_serve_is_refused_on_both_sides()
    {
        var (a, b) = DuplexStreams.InMemory();
        var initiating = MseHandshake.InitiateAsync(a, OtherSkey, MseCryptoOffer.Rc4, new byte[68], CancellationToken.None);
        var error = await Assert.ThrowsAsync<MseHandshakeException>(() => Respond(b, [Skey], MseCryptoOffer.Rc4).WaitAsync(Limit));
        Assert.Contains("not served", error.Message, StringComparison.Ordinal);
        b.Dispose();
        await Assert.ThrowsAsync<MseHandshakeException>(() => initiating.WaitAsync(Limit));
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(512, 512)]
    [InlineData(0, 512)]
    [InlineData(512, 0)]
    public async Task Padding_of_0_and_of_512_bytes_is_found_past(int initiatorPad, int responderPad)
    {
        var (a, b) = await DuplexStreams.LoopbackAsync();
        await using var _ = a;
        await using var __ = b;
        var initiating = MseHandshake.InitiateAsync(a, Skey, MseCryptoOffer.Rc4, new byte[68], new MseHandshakeOptions { PadLength = initiatorPad }, CancellationToken.None);
        var responding = MseHandshake.RespondAsync(b, ReadOnlyMemory<byte>.Empty, new MseSkeyTable([Skey], MseCryptoOffer.Rc4), new MseHandshakeOptions { PadLength = responderPad }, CancellationToken.None);
        var initiator = await initiating.WaitAsync(Limit);
        var responder = await responding.WaitAsync(Limit);
        Assert.Equal(MseCryptoOffer.Rc4, initiator.SelectedCrypto);
        Assert.Equal(68, responder.InitialPayload.Length);
    }

    [Fact]
    public async Task Bytes_a_listener_peeked_are_handed_to_the_responder_and_the_ia_may_be_empty()
    {
        var (a, b) = DuplexStreams.InMemory();
        var initiating = MseHandshake.InitiateAsync(a, Skey, MseCryptoOffer.Plaintext, ReadOnlyMemory<byte>.Empty, CancellationToken.None);
        var peeked = new byte[20];
        await b.ReadExactlyAsync(peeked);
        var responder = await MseHandshake.RespondAsync(b, peeked, [Skey], MseCryptoOffer.Plaintext, CancellationToken.None).WaitAsync(Limit);
        var initiator = await initiating.WaitAsync(Limit);
        Assert.True(responder.InitialPayload.IsEmpty);
        Assert.Equal(MseCryptoOffer.Plaintext, initiator.SelectedCrypto);
    }

    [Fact]
    public async Task A_peer_that_stays_silent_times_out_with_the_typed_exception()
    {
        var (a, b) = DuplexStreams.InMemory();
        await using var _ = b;
        var time = new FakeTimeProvider();
        var initiating = MseHandshake.InitiateAsync(a, Skey, MseCryptoOffer.Rc4, new byte[68], new MseHandshakeOptions { Time = time }, CancellationToken.None);

        // The default 10 s limit, on the fake clock: nothing gives up before it, and the handshake does at it.
        var waited = await time.AdvanceUntilAsync(initiating, TimeSpan.FromSeconds(1));
        var error = await Assert.ThrowsAsync<MseHandshakeException>(() => initiating);
        Assert.Contains("longer than 10 s", error.Message, StringComparison.Ordinal);
        Assert.InRange(waited, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(15));
    }

    [Fact]
    public async Task A_plain_bittorrent_handshake_answered_to_our_public_key_fails_the_initiator()
    {
        // A plain peer reads our 96+ bytes as a bad handshake and closes; here it answers a handshake first.
        var answer = new byte[68];
        "\u0013BitTorrent protocol"u8.CopyTo(answer);
        var stream = DuplexStreams.Scripted(answer);
        await Assert.ThrowsAsync<MseHandshakeException>(() =>
            MseHandshake.InitiateAsync(stream, Skey, MseCryptoOffer.Rc4 | MseCryptoOffer.Plaintext, new byte[68], CancellationToken.None).WaitAsync(Limit));
    }

    [Fact]
    public async Task A_public_key_of_one_is_refused()
    {
        var ya = new byte[96];
        ya[^1] = 1;
        await Assert.ThrowsAsync<MseHandshakeException>(() => Respond(DuplexStreams.Scripted(ya), [Skey], MseCryptoOffer.Rc4).WaitAsync(Limit));
    }

    internal static async Task<byte[]> ReadExactlyAsync(Stream stream, int length)
    {
        var buffer = new byte[length];
        using var timeout = new CancellationTokenSource(Limit);
        await stream.ReadExactlyAsync(buffer, timeout.Token);
        return buffer;
    }

    private static Task<MseHandshakeResult> Respond(Stream stream, InfoHash[] skeys, MseCryptoOffer allowed) =>
        MseHandshake.RespondAsync(stream, ReadOnlyMemory<byte>.Empty, skeys, allowed, CancellationToken.None);
}
