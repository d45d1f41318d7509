using System.Diagnostics;

namespace SmartShare.BitTorrent.Engine;

/// <summary>
/// The streaming reads waiting on a torrent: each waits for the pieces under a byte range to verify, and while any
/// waits the <see cref="PiecePicker"/> fetches those pieces first. Owns the waiters per piece; shares the session's
/// lock, under which it reads the picker's verified pieces and windows.
/// </summary>
internal sealed class StreamWaiters(Lock sessionLock, long pieceLength, Func<PiecePicker?> pickerUnderLock)
{
    private readonly Dictionary<int, List<TaskCompletionSource>> _waiters = [];
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// Waits until the bytes [offset, offset + length) are verified on disk, fetching their pieces before all
    /// others meanwhile. A read that comes before the session has started (a player asking right after `get`,
    /// while the session still looks at its files) waits for the start rather than failing.
    /// </summary>
    public async Task WaitForRangeAsync(long offset, long length, CancellationToken cancellationToken)
    {
        if (length <= 0)
        {
            return;
        }

        var first = (int)(offset / pieceLength);
        var last = (int)((offset + length - 1) / pieceLength);
        var waits = new List<Task>();
        PiecePicker? picker;
        lock (sessionLock)
        {
            picker = pickerUnderLock();
        }

        if (picker is null)
        {
            await _started.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        lock (sessionLock)
        {
            picker = pickerUnderLock() ?? throw new InvalidOperationException("The torrent has stopped.");
            for (var piece = first; piece <= last; piece++)
            {
                if (picker.Have[piece])
                {
                    continue;
                }

                if (!_waiters.TryGetValue(piece, out var list))
                {
                    list = [];
                    _waiters.Add(piece, list);
                }

                var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                list.Add(waiter);
                waits.Add(waiter.Task);
            }

            if (waits.Count > 0)
            {
                picker.AddWindow(first, last);
            }
        }

        if (waits.Count > 0)
        {
            await Task.WhenAll(waits).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The session has its picker: reads waiting for the start go on.</summary>
    public void Started() => _started.TrySetResult();

    /// <summary>Whether the bytes of that range are verified on disk.</summary>
    public bool HasRange(long offset, long length)
    {
        lock (sessionLock)
        {
            var picker = pickerUnderLock();
            if (picker is null)
            {
                return false;
            }

            for (var piece = (int)(offset / pieceLength); piece <= (int)((offset + Math.Max(1, length) - 1) / pieceLength); piece++)
            {
                if (!picker.Have[piece])
                {
                    return false;
                }
            }

            return true;
        }
    }

    /// <summary>
    /// Under the session's lock: takes the waiters of a piece that just verified (the caller completes them with
    /// <see cref="Release"/> once it has let go of the lock), and ends the priority windows when none wait any more.
    /// </summary>
    public List<TaskCompletionSource>? TakeVerified(int piece, PiecePicker picker)
    {
        Debug.Assert(sessionLock.IsHeldByCurrentThread, "the waiters are guarded by the session's lock");
        _waiters.Remove(piece, out var waiters);
        if (waiters is not null && _waiters.Count == 0)
        {
            picker.ClearWindows();
        }

        return waiters;
    }

    /// <summary>Completes the waiters <see cref="TakeVerified"/> returned.</summary>
    public static void Release(List<TaskCompletionSource>? waiters)
    {
        if (waiters is null)
        {
            return;
        }

        foreach (var waiter in waiters)
        {
            waiter.TrySetResult();
        }
    }

    /// <summary>Under the session's lock, as the session stops: every read still waiting is cancelled.</summary>
    public void CancelAll()
    {
        Debug.Assert(sessionLock.IsHeldByCurrentThread, "the waiters are guarded by the session's lock");
        foreach (var waiters in _waiters.Values)
        {
            foreach (var waiter in waiters)
            {
                waiter.TrySetCanceled();
            }
        }

        _waiters.Clear();
        _started.TrySetCanceled();
    }
}
