namespace SmartShare.BitTorrent.Tests.Dht;

/// <summary>Waits for a condition with a time limit; past it the test fails saying what it waited for.</summary>
internal static class DhtWaiting
{
    public static async Task UntilAsync(Func<bool> condition, string what, TimeSpan? limit = null)
    {
        var deadline = DateTime.UtcNow + (limit ?? TimeSpan.FromSeconds(10));
        while (!condition())
        {
            if (DateTime.UtcNow >= deadline)
            {
                Assert.Fail($"Timed out waiting until {what}.");
            }

            await Task.Delay(20);
        }
    }
}
