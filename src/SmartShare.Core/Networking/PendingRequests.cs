using System.Net;

namespace SmartShare.Networking;

/// <summary>
/// Requests sent and not yet answered, matched by id. A response counts only when it comes from the address
/// the request went to (a forged id from elsewhere is ignored), each request times out on its own, and the
/// table is bounded: when full, a new request is refused at once instead of queueing without limit.
/// </summary>
public sealed class PendingRequests<TKey, TResponse>
    where TKey : notnull
{
    private readonly TimeProvider _time;
    private readonly int _capacity;
    private readonly Dictionary<TKey, Entry> _entries = new();
    private readonly Lock _lock = new();

    public PendingRequests(TimeProvider time, int capacity)
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        _time = time;
        _capacity = capacity;
    }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>Responses that matched no pending request, or came from the wrong address.</summary>
    public long Unmatched { get; private set; }

    /// <summary>
    /// Registers a request; the task completes with its response, or fails with <see cref="TimeoutException"/>
    /// or cancellation. Returns false when the table is full or the id is already pending.
    /// </summary>
    public bool TryAdd(TKey id, IPAddress destination, TimeSpan timeout, CancellationToken cancellationToken, out Task<TResponse> response)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var entry = new Entry(Normalize(destination));
        response = entry.Completion.Task;
        lock (_lock)
        {
            if (_entries.Count >= _capacity || !_entries.TryAdd(id, entry))
            {
                return false;
            }
        }

        entry.Timer = _time.CreateTimer(_ => Fail(id, entry, new TimeoutException($"No answer from {destination} within {timeout.TotalSeconds:0.#} s.")), null, timeout, Timeout.InfiniteTimeSpan);
        entry.Cancellation = cancellationToken.Register(() => Fail(id, entry, new OperationCanceledException(cancellationToken)));
        return true;
    }

    /// <summary>Completes the request with this id if <paramref name="source"/> is where it was sent.</summary>
    public bool TryComplete(TKey id, IPAddress source, TResponse response) =>
        TryTake(id, source, out var entry) && entry.Completion.TrySetResult(response);

    /// <summary>Fails a pending request (for example with an error the peer sent back).</summary>
    public bool TryFail(TKey id, IPAddress source, Exception error) =>
        TryTake(id, source, out var entry) && entry.Completion.TrySetException(error);

    /// <summary>Removes the request if it is pending and <paramref name="source"/> is where it went; counts misses.</summary>
    private bool TryTake(TKey id, IPAddress source, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Entry? entry)
    {
        ArgumentNullException.ThrowIfNull(source);
        lock (_lock)
        {
            if (!_entries.TryGetValue(id, out entry) || !entry.Destination.Equals(Normalize(source)))
            {
                Unmatched++;
                entry = null;
                return false;
            }

            _entries.Remove(id);
        }

        entry.Dispose();
        return true;
    }

    private void Fail(TKey id, Entry entry, Exception error)
    {
        lock (_lock)
        {
            if (!_entries.TryGetValue(id, out var current) || !ReferenceEquals(current, entry))
            {
                return;
            }

            _entries.Remove(id);
        }

        entry.Dispose();
        entry.Completion.TrySetException(error);
    }

    private static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    private sealed class Entry(IPAddress destination) : IDisposable
    {
        public IPAddress Destination { get; } = destination;

        public TaskCompletionSource<TResponse> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ITimer? Timer { get; set; }

        public CancellationTokenRegistration Cancellation { get; set; }

        public void Dispose()
        {
            Timer?.Dispose();
            Cancellation.Dispose();
        }
    }
}
