using System.Net;
using System.Security.Cryptography;
using SmartShare.Kademlia.Tokens;
using SmartShare.Testing;

namespace SmartShare.Kademlia.Tests.Tokens;

public class TokenManagerTests
{
    private static readonly IPAddress Requester = IPAddress.Parse("192.0.2.10");
    private readonly ManualTimeProvider _clock = new();

    private TokenManager NewManager(TokenManagerOptions? options = null) =>
        new(_clock, new DeterministicRandomSource(5), options);

    [Fact]
    public void A_fresh_token_verifies_for_the_same_address_only()
    {
        using var tokens = NewManager();
        var token = tokens.CreateToken(Requester);

        Assert.Equal(48, token.Length);
        Assert.True(tokens.Verify(token, Requester));
        Assert.False(tokens.Verify(token, IPAddress.Parse("192.0.2.11")));
    }

    [Fact]
    public void A_token_survives_one_rotation_but_not_two()
    {
        using var tokens = NewManager();
        var token = tokens.CreateToken(Requester);

        tokens.Rotate();
        Assert.True(tokens.Verify(token, Requester));
        tokens.Rotate();
        Assert.False(tokens.Verify(token, Requester));
    }

    [Fact]
    public void The_secret_rotates_every_five_minutes_on_the_clock()
    {
        using var tokens = NewManager();
        var token = tokens.CreateToken(Requester);

        _clock.Advance(TimeSpan.FromMinutes(5));
        Assert.True(tokens.Verify(token, Requester));
        Assert.NotEqual(token, tokens.CreateToken(Requester));

        _clock.Advance(TimeSpan.FromMinutes(5));
        Assert.False(tokens.Verify(token, Requester));
    }

    [Fact]
    public void Token_is_the_sha384_of_secret_and_address_by_default()
    {
        var secret = new byte[48];
        new DeterministicRandomSource(5).Fill(secret);
        using var tokens = NewManager();

        var expected = SHA384.HashData([.. secret, .. Requester.GetAddressBytes()]);

        Assert.Equal(expected, tokens.CreateToken(Requester));
    }

    [Fact]
    public void Length_and_hash_are_configurable_for_mainline()
    {
        using var tokens = NewManager(new TokenManagerOptions { HashAlgorithm = HashAlgorithmName.SHA1, TokenLength = 20 });
        var token = tokens.CreateToken(Requester);

        Assert.Equal(20, token.Length);
        Assert.True(tokens.Verify(token, Requester));
        Assert.False(tokens.Verify(token.AsSpan(0, 19), Requester));
    }

    [Fact]
    public void An_ipv4_mapped_address_gets_the_same_token_as_plain_ipv4()
    {
        using var tokens = NewManager();
        Assert.True(tokens.Verify(tokens.CreateToken(Requester), Requester.MapToIPv6()));
    }
}
