namespace SmartShare.Threading;

/// <summary>
/// A token cancelled when the caller's token is, or when a time limit measured on a <see cref="TimeProvider"/> runs
/// out: what <c>CreateLinkedTokenSource(token)</c> + <c>CancelAfter(limit)</c> does, except that a linked source
/// cannot take a clock and so would always run on the system one. <see cref="Restart"/> and <see cref="Stop"/>
/// move the limit, as <c>CancelAfter</c> would.
/// </summary>
public sealed class TimeLimit : IDisposable
{
    private readonly CancellationTokenSource _source;
    private readonly CancellationTokenRegistration _link;
    private readonly CancellationToken _caller;

    /// <param name="limit">How long until the token is cancelled; <see cref="Timeout.InfiniteTimeSpan"/> for never.</param>
    /// <param name="time">The clock the limit runs on.</param>
    /// <param name="cancellationToken">The caller's token; its cancellation cancels this one too.</param>
    public TimeLimit(TimeSpan limit, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(time);
        _source = new CancellationTokenSource(limit, time);
        _caller = cancellationToken;
        _link = cancellationToken.UnsafeRegister(static state => ((CancellationTokenSource)state!).Cancel(), _source);
    }

    public CancellationToken Token => _source.Token;

    /// <summary>True when the limit ran out, not the caller's token.</summary>
    public bool Expired => _source.IsCancellationRequested && !_caller.IsCancellationRequested;

    /// <summary>Starts the limit again from now, with <paramref name="limit"/> (on the same clock).</summary>
    public void Restart(TimeSpan limit) => _source.CancelAfter(limit);

    /// <summary>Lifts the limit; the caller's token still cancels.</summary>
    public void Stop() => _source.CancelAfter(Timeout.InfiniteTimeSpan);

    public void Dispose()
    {
        // The link first: disposing it waits for a callback in progress, so the source is never cancelled once disposed.
        _link.Dispose();
        _source.Dispose();
    }
}
