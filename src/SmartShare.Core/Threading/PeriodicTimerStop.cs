namespace SmartShare.Threading;

/// <summary>
/// Ends a <see cref="PeriodicTimer"/> when a token is cancelled, so a loop on <c>WaitForNextTickAsync()</c> (no token)
/// simply ends with false. Not <c>WaitForNextTickAsync(token)</c>: a cancelled wait completes with an
/// <see cref="OperationCanceledException"/> whose stack trace .NET writes out as text at once
/// (<c>ExceptionDispatchInfo.SetCurrentStackTrace</c>), and the first such text in a process loads the symbol readers:
/// about 16 ms of CPU in the stop of every node that ran a torrent.
/// </summary>
public static class PeriodicTimerStop
{
    /// <summary>Disposes <paramref name="timer"/> when <paramref name="token"/> is cancelled (at once if it already is).</summary>
    public static CancellationTokenRegistration DisposeOn(this PeriodicTimer timer, CancellationToken token)
    {
        ArgumentNullException.ThrowIfNull(timer);
        return token.UnsafeRegister(static state => ((PeriodicTimer)state!).Dispose(), timer);
    }
}
