using System.Net;
using SmartShare.Kademlia;
using SmartShare.Kademlia.Networking;

namespace SmartShare.Testing;

/// <summary>
/// An in-process network at the RPC level: requests reach the destination's handler after a virtual delay and
/// answers come back the same way; lost messages, dead nodes and slow links end in a timeout. Everything is
/// driven by a <see cref="ManualTimeProvider"/>, so no real time passes and no thread pool is involved.
/// </summary>
public sealed class InMemoryNetwork
{
    private readonly Lock _gate = new();
    private readonly Dictionary<IPEndPoint, IKademliaRequestHandler> _listeners = [];
    private readonly ManualTimeProvider _clock;
    private readonly DeterministicRandomSource _random;
    private readonly InMemoryNetworkOptions _options;
    private long _requestsSent;

    public InMemoryNetwork(ManualTimeProvider clock, ulong seed, InMemoryNetworkOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(clock);
        _clock = clock;
        _random = new DeterministicRandomSource(seed);
        _options = options ?? new InMemoryNetworkOptions();
    }

    public long RequestsSent => Interlocked.Read(ref _requestsSent);

    /// <summary>The outgoing side for a node at <paramref name="localEndPoint"/>; it must also <see cref="Listen"/>.</summary>
    public IKademliaRpc Connect(IPEndPoint localEndPoint)
    {
        ArgumentNullException.ThrowIfNull(localEndPoint);
        return new InMemoryRpcClient(this, localEndPoint);
    }

    public void Listen(IPEndPoint endPoint, IKademliaRequestHandler handler)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        ArgumentNullException.ThrowIfNull(handler);
        lock (_gate)
        {
            _listeners[endPoint] = handler;
        }
    }

    /// <summary>The node at this address stops answering and its own requests go nowhere.</summary>
    public void Kill(IPEndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        lock (_gate)
        {
            _listeners.Remove(endPoint);
        }
    }

    public bool IsAlive(IPEndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        lock (_gate)
        {
            return _listeners.ContainsKey(endPoint);
        }
    }

    internal Task<T?> SendAsync<T>(
        IPEndPoint from,
        IPEndPoint to,
        Func<IKademliaRequestHandler, RequestSender, T?> handle,
        CancellationToken cancellationToken)
        where T : class
    {
        cancellationToken.ThrowIfCancellationRequested();
        Interlocked.Increment(ref _requestsSent);
        var call = new PendingCall<T>(cancellationToken);
        var timeout = _options.RequestTimeout;
        if (TryGetHandler(from) is not { } sender || TryGetHandler(to) is null || IsLost(from, to))
        {
            _clock.Schedule(timeout, static state => ((PendingCall<T>)state!).Complete(null), call);
            return call.Task;
        }

        var outbound = Latency(from, to);
        var inbound = Latency(to, from);
        if (outbound + inbound >= timeout)
        {
            _clock.Schedule(timeout, static state => ((PendingCall<T>)state!).Complete(null), call);
            return call.Task;
        }

        var requester = new RequestSender(sender.Id, from);
        _clock.Schedule(outbound, _ =>
        {
            if (call.Task.IsCompleted)
            {
                return;
            }

            if (TryGetHandler(to) is not { } receiver)
            {
                _clock.Schedule(timeout - outbound, static state => ((PendingCall<T>)state!).Complete(null), call);
                return;
            }

            var answer = handle(receiver, requester);
            if (IsLost(to, from))
            {
                _clock.Schedule(timeout - outbound, static state => ((PendingCall<T>)state!).Complete(null), call);
                return;
            }

            _clock.Schedule(inbound, _ =>
            {
                // An answer reaching a node that died meanwhile is never read.
                call.Complete(TryGetHandler(from) is null ? null : answer);
            }, null);
        }, null);
        return call.Task;
    }

    private IKademliaRequestHandler? TryGetHandler(IPEndPoint endPoint)
    {
        lock (_gate)
        {
            return _listeners.GetValueOrDefault(endPoint);
        }
    }

    private bool IsLost(IPEndPoint from, IPEndPoint to)
    {
        var lossRate = _options.LinkLossRate?.Invoke(from, to) ?? _options.LossRate;
        return lossRate > 0 && _random.NextDouble() < lossRate;
    }

    private TimeSpan Latency(IPEndPoint from, IPEndPoint to)
    {
        if (_options.LinkLatency is { } linkLatency)
        {
            return linkLatency(from, to);
        }

        var jitterTicks = (long)(_random.NextDouble() * _options.LatencyJitter.Ticks);
        return _options.OneWayLatency + TimeSpan.FromTicks(jitterTicks);
    }

    /// <summary>One outstanding request: completes once, with an answer, null (no answer) or cancellation.</summary>
    private sealed class PendingCall<T>
        where T : class
    {
        // Continuations run inline on purpose: the simulation stays on the thread that advances the clock.
        private readonly TaskCompletionSource<T?> _completion = new();
        private readonly CancellationTokenRegistration _registration;

        public PendingCall(CancellationToken cancellationToken)
        {
            if (cancellationToken.CanBeCanceled)
            {
                _registration = cancellationToken.Register(
                    static (state, token) => ((PendingCall<T>)state!)._completion.TrySetCanceled(token), this);
            }
        }

        public Task<T?> Task => _completion.Task;

        public void Complete(T? result)
        {
            _registration.Dispose();
            _completion.TrySetResult(result);
        }
    }
}
