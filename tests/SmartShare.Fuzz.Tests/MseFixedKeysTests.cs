using SmartShare.BitTorrent.PeerWire.Encryption;
using SmartShare.Fuzz.Targets;

namespace SmartShare.Fuzz.Tests;

/// <summary>The MSE targets' remembered Diffie-Hellman is the real one, and still checks every public key.</summary>
public sealed class MseFixedKeysTests
{
    [Fact]
    public void The_remembered_secret_is_what_the_real_exponentiation_gives_on_both_sides()
    {
        var keys = MseFixedKeys.Instance;

        var ours = MseCrypto.SharedSecret(keys.Peer.Public, keys.Ours.Private);
        var theirs = MseCrypto.SharedSecret(keys.Ours.Public, keys.Peer.Private);

        Assert.Equal(ours, theirs);
        Assert.Equal(ours, keys.SharedSecret(keys.Peer.Public, keys.Ours.Private));
        Assert.Equal(ours, keys.SharedSecret(keys.Ours.Public, keys.Peer.Private));
        Assert.Equal(keys.Ours.Public, keys.NewKeyPair().Public);
        Assert.Equal(MseCrypto.KeyPairFrom(Enumerable.Repeat((byte)0x3c, 20).ToArray()).Public, keys.Ours.Public);
    }

    [Fact]
    public void A_key_the_harness_did_not_play_is_checked_by_the_node_and_gets_a_stand_in()
    {
        var keys = MseFixedKeys.Instance;
        var one = new byte[MseCrypto.KeyLength];
        one[^1] = 1;
        var other = new byte[MseCrypto.KeyLength];
        other[^1] = 7;

        Assert.Throws<MseHandshakeException>(() => keys.SharedSecret(one, keys.Ours.Private));
        Assert.Throws<MseHandshakeException>(() => keys.SharedSecret(Enumerable.Repeat((byte)0xff, MseCrypto.KeyLength).ToArray(), keys.Ours.Private));
        var standIn = keys.SharedSecret(other, keys.Ours.Private);
        Assert.Equal(MseCrypto.KeyLength, standIn.Length);
        Assert.Equal(standIn, keys.SharedSecret(other, keys.Ours.Private));
        Assert.NotEqual(keys.Secret, standIn);
    }
}
