namespace SmartShare.Interop.Tests.Clients;

/// <summary>Waits for a condition with a time limit; the test fails past it, with what it was waiting for.</summary>
public static class Waiting
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);

    public static Task UntilAsync(Func<bool> condition, string what, TimeSpan timeLimit, Func<string>? diagnostics = null) =>
        UntilAsync(() => Task.FromResult(condition()), what, timeLimit, diagnostics);

    public static async Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan timeLimit, Func<string>? diagnostics = null)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var deadline = DateTime.UtcNow + timeLimit;
        while (!await condition())
        {
            if (DateTime.UtcNow >= deadline)
            {
                Assert.Fail($"Timed out after {timeLimit.TotalSeconds:0.#} s waiting until {what}.{(diagnostics is null ? "" : "\n" + diagnostics())}");
            }

            await Task.Delay(PollInterval);
        }
    }
}
