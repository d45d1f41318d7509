using System.Net;
using SmartShare.Node.Http;
using SmartShare.Testing;

namespace SmartShare.Node.Tests.Http;

public sealed class LoginThrottleTests
{
    private static readonly IPAddress Guesser = IPAddress.Parse("192.0.2.10");
    private static readonly IPAddress Other = IPAddress.Parse("192.0.2.11");

    private readonly ManualTimeProvider _time = new();

    [Fact]
    public void The_first_wrong_passwords_cost_nothing_then_the_lockout_doubles_up_to_its_cap()
    {
        var throttle = new LoginThrottle(_time);
        for (var i = 1; i < LoginThrottle.FreeFailures; i++)
        {
            throttle.Failed(Guesser);
            Assert.Equal(TimeSpan.Zero, throttle.RetryAfter(Guesser));
        }

        var lockouts = new List<TimeSpan>();
        for (var i = 0; i < 12; i++)
        {
            throttle.Failed(Guesser);
            var wait = throttle.RetryAfter(Guesser);
            lockouts.Add(wait);
            _time.Advance(wait);
            Assert.Equal(TimeSpan.Zero, throttle.RetryAfter(Guesser));
        }

        Assert.Equal([1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300], lockouts.Select(wait => (int)wait.TotalSeconds));
    }

    [Fact]
    public void One_address_locked_out_leaves_the_others_free_and_a_right_password_clears_it()
    {
        var throttle = new LoginThrottle(_time);
        for (var i = 0; i < LoginThrottle.FreeFailures + 3; i++)
        {
            throttle.Failed(Guesser);
        }

        Assert.True(throttle.RetryAfter(Guesser) > TimeSpan.Zero);
        Assert.Equal(TimeSpan.Zero, throttle.RetryAfter(Other));

        throttle.Succeeded(Guesser);

        Assert.Equal(TimeSpan.Zero, throttle.RetryAfter(Guesser));
    }

    [Fact]
    public void A_flood_of_addresses_keeps_the_table_bounded()
    {
        var throttle = new LoginThrottle(_time);
        for (var i = 0; i < LoginThrottle.MaxTrackedAddresses * 3; i++)
        {
            throttle.Failed(new IPAddress(BitConverter.GetBytes(i + 1)));
        }

        Assert.True(throttle.TrackedCount <= LoginThrottle.MaxTrackedAddresses);
    }
}
