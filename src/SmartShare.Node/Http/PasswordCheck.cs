namespace SmartShare.Node.Http;

/// <summary>What checking a password gave: right, wrong, or not checked because the address must wait.</summary>
public readonly record struct PasswordCheck(bool IsRight, TimeSpan RetryAfter)
{
    public static PasswordCheck Right => new(true, TimeSpan.Zero);

    public static PasswordCheck Wrong => new(false, TimeSpan.Zero);

    public bool IsThrottled => RetryAfter > TimeSpan.Zero;

    public static PasswordCheck Throttled(TimeSpan wait) => new(false, wait);
}
