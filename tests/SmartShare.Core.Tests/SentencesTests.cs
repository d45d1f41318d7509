

namespace SmartShare.Core.Tests;

public sealed class SentencesTests
{
    [Fact]
    public void Short_text_is_kept_and_long_text_is_cut_to_the_limit_with_an_ellipsis()
    {
        Assert.Equal("host.example", Sentences.Shorten("host.example"));
        Assert.Equal(new string('a', 80), Sentences.Shorten(new string('a', 80)));
        Assert.Equal(new string('a', 77) + "...", Sentences.Shorten(new string('a', 1_000_000)));
        Assert.Equal("abcdefg...", Sentences.Shorten("abcdefghijklmnop", 10));
    }
}
