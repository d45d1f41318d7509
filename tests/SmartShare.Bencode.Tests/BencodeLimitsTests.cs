namespace SmartShare.Bencode.Tests;

public class BencodeLimitsTests
{
    [Fact]
    public void Defaults_are_the_documented_bounds()
    {
        var limits = BencodeLimits.Default;

        Assert.Equal(32, limits.MaxDepth);
        Assert.Equal(1024 * 1024, limits.MaxByteStringLength);
        Assert.Equal(100_000, limits.MaxItems);
        Assert.Equal(19, limits.MaxIntegerDigits);
    }

    [Fact]
    public void Out_of_range_limits_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new BencodeLimits { MaxDepth = 0 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new BencodeLimits { MaxDepth = BencodeLimits.DepthCeiling + 1 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new BencodeLimits { MaxByteStringLength = -1 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new BencodeLimits { MaxItems = 0 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new BencodeLimits { MaxIntegerDigits = 20 });
    }

    [Fact]
    public void The_depth_ceiling_is_usable()
    {
        var limits = new BencodeLimits { MaxDepth = BencodeLimits.DepthCeiling };
        var input = TestBytes.Of(new string('l', BencodeLimits.DepthCeiling) + new string('e', BencodeLimits.DepthCeiling));

        Assert.IsType<BencodeList>(BencodeDecoder.Decode(input, BencodeMode.Strict, limits));
    }
}
