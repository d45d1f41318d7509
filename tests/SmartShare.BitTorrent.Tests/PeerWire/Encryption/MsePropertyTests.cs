using System.Diagnostics;
using FsCheck;
using FsCheck.Fluent;
using SmartShare.BitTorrent.PeerWire.Encryption;

namespace SmartShare.BitTorrent.Tests.PeerWire.Encryption;

/// <summary>Whatever a hostile peer sends, an MSE handshake fails with <see cref="MseHandshakeException"/> only, and soon.</summary>
public sealed class MsePropertyTests
{
    private static readonly MseSkeyTable Skeys = new([InfoHash.Compute("torrent"u8)], MseCryptoOffer.Rc4 | MseCryptoOffer.Plaintext);

    private static readonly Arbitrary<(byte[] Peeked, byte[] Tail)> Inputs =
        (from length in Gen.Choose(0, 1400)
         from bytes in Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b), length)
         from peek in Gen.Choose(0, Math.Min(20, length))
         select (bytes[..peek], bytes[peek..])).ToArbitrary();

    [Fact]
    public void Random_bytes_given_to_the_responder_end_in_the_typed_exception_only()
    {
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(300), Prop.ForAll(Inputs, input =>
            FailsTyped(MseHandshake.RespondAsync(DuplexStreams.Scripted(input.Tail), input.Peeked, Skeys, CancellationToken.None))));
    }

    [Fact]
    public void Random_bytes_answered_to_the_initiator_end_in_the_typed_exception_only()
    {
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(300), Prop.ForAll(Inputs, input =>
            FailsTyped(MseHandshake.InitiateAsync(
                DuplexStreams.Scripted([.. input.Peeked, .. input.Tail]),
                InfoHash.Compute("torrent"u8),
                MseCryptoOffer.Rc4 | MseCryptoOffer.Plaintext,
                new byte[68],
                CancellationToken.None))));
    }

    [Fact]
    public void An_endless_stream_of_padding_is_cut_off_at_the_limit()
    {
        var endless = new byte[1 << 20];
        Random.Shared.NextBytes(endless);
        var watch = Stopwatch.StartNew();
        Assert.True(FailsTyped(MseHandshake.RespondAsync(DuplexStreams.Scripted(endless), ReadOnlyMemory<byte>.Empty, Skeys, CancellationToken.None)));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10));
    }

    private static bool FailsTyped(Task<MseHandshakeResult> handshake)
    {
        try
        {
            handshake.WaitAsync(TimeSpan.FromSeconds(10)).GetAwaiter().GetResult();
            return false;
        }
        catch (MseHandshakeException)
        {
            return true;
        }
    }
}
