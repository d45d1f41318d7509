using System.Numerics;
using SmartShare.BitTorrent.PeerWire.Encryption;

namespace SmartShare.BitTorrent.Tests.PeerWire.Encryption;

/// <summary>
/// The key pair computed ahead of a handshake: a real pair (its public key is 2^x mod P of its private key), handed to
/// one handshake only, the next one prepared at once; and two sides using such pairs agree on S.
/// </summary>
public sealed class MseKeyExchangeTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_pair_prepared_ahead_serves_one_handshake_and_the_next_is_prepared()
    {
        var exchange = new MseKeyExchange();
        Assert.False(exchange.HasPairAhead);
        exchange.PrepareAhead();
        await WaitForPairAsync(exchange);

        var first = exchange.NewKeyPair();
        AssertRealPair(first);

        // Taking it started the next one: a different pair, not the same one handed out twice.
        await WaitForPairAsync(exchange);
        var second = exchange.NewKeyPair();
        AssertRealPair(second);
        Assert.NotEqual(first.Private, second.Private);
        Assert.NotEqual(first.Public, second.Public);
    }

    [Fact]
    public async Task Two_sides_with_pairs_prepared_ahead_agree_on_the_secret()
    {
        var (a, b) = (new MseKeyExchange(), new MseKeyExchange());
        a.PrepareAhead();
        b.PrepareAhead();
        await WaitForPairAsync(a);
        await WaitForPairAsync(b);
        var (aPrivate, aPublic) = a.NewKeyPair();
        var (bPrivate, bPublic) = b.NewKeyPair();

        Assert.Equal(a.SharedSecret(bPublic, aPrivate), b.SharedSecret(aPublic, bPrivate));
    }

    [Fact]
    public void With_nothing_prepared_a_handshake_computes_its_own_pair()
    {
        var exchange = new MseKeyExchange();
        var pairs = Enumerable.Range(0, 4).Select(_ => exchange.NewKeyPair()).ToList();

        foreach (var pair in pairs)
        {
            AssertRealPair(pair);
        }

        Assert.Equal(4, pairs.Select(pair => pair.Private).Distinct().Count());
    }

    private static void AssertRealPair((BigInteger Private, byte[] Public) pair)
    {
        Assert.Equal(MseCrypto.KeyLength, pair.Public.Length);
        var recomputed = MseCrypto.KeyPairFrom(pair.Private.ToByteArray(isUnsigned: true, isBigEndian: true));
        Assert.Equal(recomputed.Public, pair.Public);
    }

    private static async Task WaitForPairAsync(MseKeyExchange exchange)
    {
        var limit = DateTime.UtcNow + Patience;
        while (!exchange.HasPairAhead)
        {
            Assert.True(DateTime.UtcNow < limit, "No key pair was prepared within the time limit.");
            await Task.Delay(1);
        }
    }
}
