using SmartShare.Node.Transfers;

namespace SmartShare.Node.Tests.Transfers;

public sealed class TransferModelTests
{
    [Fact]
    public void A_key_is_an_sd_hash_or_an_info_hash_and_nothing_else()
    {
        Assert.True(TransferKey.TryParse(new string('A', 96), out var stream));
        Assert.Equal(new TransferKey(TransferNetwork.Stream, new string('a', 96)), stream);
        Assert.True(TransferKey.TryParse(" " + new string('B', 40) + " ", out var torrent));
        Assert.Equal(new TransferKey(TransferNetwork.Torrent, new string('b', 40)), torrent);

        Assert.False(TransferKey.TryParse(new string('a', 64), out _));
        Assert.False(TransferKey.TryParse("magnet:?xt=urn:btih:" + new string('b', 40), out _));
        Assert.False(TransferKey.TryParse(null, out _));
    }

    [Theory]
    [InlineData(0, 1000, 0.0)]
    [InlineData(250, 1000, 0.25)]
    [InlineData(1000, 1000, 1.0)]
    [InlineData(0, 0, 1.0)]
    public void The_fraction_is_have_over_total(long have, long total, double fraction)
    {
        Assert.Equal(fraction, new TransferProgress(have, total, 0, null, 0, 0, 0, 0).Fraction);
    }

    [Fact]
    public void The_eta_needs_a_size_and_a_rate()
    {
        Assert.Equal(TimeSpan.FromSeconds(8), new TransferProgress(200, 1000, 0, null, 100, 0, 1, 1).Eta);
        Assert.Equal(TimeSpan.FromSeconds(3), new TransferProgress(0, 1000, 0, null, 400, 0, 1, 1).Eta);
        Assert.Null(new TransferProgress(200, 1000, 0, null, 0, 0, 1, 1).Eta);
        Assert.Null(new TransferProgress(200, null, 0, null, 100, 0, 1, 1).Eta);
        Assert.Null(new TransferProgress(1000, 1000, 0, null, 100, 0, 1, 1).Eta);
        Assert.Null(new TransferProgress(200, null, 0, null, 100, 0, 1, 1).Fraction);
    }

    [Fact]
    public void Keys_made_apart_from_the_same_hash_are_one_key_in_a_map()
    {
        var hash = new string('c', 40);
        var first = new TransferKey(TransferNetwork.Torrent, hash);
        var second = new TransferKey(TransferNetwork.Torrent, new string(hash.AsSpan()));
        var map = new Dictionary<TransferKey, int> { [first] = 1 };

        Assert.Equal(first, second);
        Assert.Equal(first.GetHashCode(), second.GetHashCode());
        Assert.Equal(1, map[second]);
        Assert.NotEqual(first, new TransferKey(TransferNetwork.Stream, hash));
        Assert.NotEqual(first, new TransferKey(TransferNetwork.Torrent, new string('d', 40)));
    }

    [Theory]
    [InlineData(TransferState.FetchingMetadata, "fetching_metadata")]
    [InlineData(TransferState.Seeding, "seeding")]
    [InlineData(TransferState.Downloading, "downloading")]
    public void State_names_are_snake_case(TransferState state, string name) =>
        Assert.Equal(name, TransferView.StateName(state));
}
