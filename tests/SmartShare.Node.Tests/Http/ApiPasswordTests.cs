using SmartShare.Node.Http;

namespace SmartShare.Node.Tests.Http;

public sealed class ApiPasswordTests
{
    [Fact]
    public void A_hash_verifies_its_password_only_and_differs_each_time_by_its_salt()
    {
        var first = ApiPassword.Hash("open sesame", 100_000);
        var second = ApiPassword.Hash("open sesame", 100_000);

        Assert.NotEqual(first, second);
        Assert.StartsWith("pbkdf2-sha256$100000$", first, StringComparison.Ordinal);
        Assert.True(ApiPassword.Verify("open sesame", first));
        Assert.False(ApiPassword.Verify("open sesame!", first));
        Assert.DoesNotContain("open sesame", first, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("open sesame")]
    [InlineData("")]
    [InlineData("pbkdf2-sha256$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")]
    [InlineData("pbkdf2-sha256$100000$not base64$AAAA")]
    [InlineData("md5$100000$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")]
    public void Text_that_is_not_one_of_our_hashes_is_never_taken_for_one(string stored)
    {
        Assert.False(ApiPassword.IsHash(stored));
        Assert.False(ApiPassword.Verify("open sesame", stored));
    }

    [Fact]
    public void A_short_password_is_refused_with_a_sentence()
    {
        var error = Assert.Throws<ArgumentException>(() => ApiPassword.Hash("short"));

        Assert.Contains("at least 8 characters", error.Message, StringComparison.Ordinal);
    }
}
