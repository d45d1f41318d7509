using SmartShare.BitTorrent.Engine;

namespace SmartShare.BitTorrent.Tests.Engine;

/// <summary>
/// The redial back-off: an address that never answered waits up to 30 minutes, but a peer we were once connected to
/// (the only seeder behind a partition) is dialed again at least every minute.
/// </summary>
public sealed class PeerDialerBackOffTests
{
    private static readonly TimeSpan RedialDelay = TimeSpan.FromSeconds(15);

    [Theory]
    [InlineData(1, 15)]
    [InlineData(2, 30)]
    [InlineData(4, 120)]
    [InlineData(7, 960)]
    [InlineData(8, 1800)]
    [InlineData(20, 1800)]
    public void An_address_that_never_answered_backs_off_from_15_s_up_to_30_min(int failures, int seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), PeerDialer.RedialBackOff(RedialDelay, failures, wasConnected: false));

    [Theory]
    [InlineData(1, 15)]
    [InlineData(2, 30)]
    [InlineData(3, 60)]
    [InlineData(4, 60)]
    [InlineData(20, 60)]
    public void A_peer_we_were_connected_to_is_dialed_again_at_least_every_minute(int failures, int seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), PeerDialer.RedialBackOff(RedialDelay, failures, wasConnected: true));

    [Fact]
    public void A_redial_delay_longer_than_a_minute_is_still_kept_for_a_known_peer() =>
        Assert.Equal(TimeSpan.FromMinutes(2), PeerDialer.RedialBackOff(TimeSpan.FromMinutes(2), 5, wasConnected: true));
}
