using System.Net;
using SmartShare.Threading;

namespace SmartShare.BitTorrent.Trackers;

/// <summary>
/// Runs one torrent's announces: "started" first, then one every interval the tracker asks for; "completed" once
/// when told; "stopped" on <see cref="StopAsync"/> to the trackers that answered before (best effort, 5 s). Each
/// round tries the trackers tier by tier (BEP 12) until one answers; when none does, the next round waits 15 s,
/// then 30 s, 60 s and so on up to 30 minutes. A tracker that never answered before gets "started" in place of a
/// regular announce. An extra announce asked for with <see cref="AnnounceNow"/> waits for the tracker's min interval
/// (or, when it gave none, the smaller of its interval and 30 s) since the last answer, and for any backoff.
/// </summary>
public sealed class TrackerAnnouncer : IAsyncDisposable
{
    /// <summary>The first wait after a round in which no tracker answered.</summary>
    public static readonly TimeSpan FirstBackoff = TimeSpan.FromSeconds(15);

    /// <summary>The longest wait after failed rounds.</summary>
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromMinutes(30);

    /// <summary>How long "stopped" announces may take.</summary>
    public static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(5);

    private static readonly TimeSpan DefaultMinGap = TimeSpan.FromSeconds(30);

    private readonly TrackerTiers _tiers;
    private readonly Func<Uri, ITrackerClient> _clientFactory;
    private readonly Func<TrackerEvent, AnnounceRequest> _requestFactory;
    private readonly Action<IReadOnlyList<IPEndPoint>> _onPeers;
    private readonly TimeProvider _time;
    private readonly Action<string>? _log;
    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _cancel = new();
    private readonly Dictionary<Uri, ITrackerClient> _clients = [];
    private readonly List<Uri> _answered = [];
    private readonly Dictionary<Uri, string> _trackerIds = [];
    private readonly Dictionary<Uri, (DateTimeOffset At, string? Error, int? Seeders, int? Leechers, int Peers)> _outcomes = [];

    private TaskCompletionSource _wake = NewSignal();
    private Task? _loop;
    private bool _stopping;
    private bool _disposed;
    private bool _startedSent;
    private bool _completedRequested;
    private bool _completedSent;
    private int _failedRounds;
    private DateTimeOffset _next;
    private DateTimeOffset _notBefore;
    private DateTimeOffset? _nextAnnounce;
    private string? _lastError;

    /// <param name="tiers">The torrent's trackers.</param>
    /// <param name="clientFactory">Makes the client for a tracker URL, once per URL (see <see cref="TrackerClientFactory"/>).</param>
    /// <param name="requestFactory">Makes an announce for an event, with the engine's current counters.</param>
    /// <param name="onPeers">Receives the peers of every answer that has some. Called on the announcer's task.</param>
    /// <param name="time">The clock for intervals and backoff.</param>
    /// <param name="log">Receives one sentence per failure and per answer; null for none.</param>
    public TrackerAnnouncer(
        TrackerTiers tiers,
        Func<Uri, ITrackerClient> clientFactory,
        Func<TrackerEvent, AnnounceRequest> requestFactory,
        Action<IReadOnlyList<IPEndPoint>> onPeers,
        TimeProvider time,
        Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(tiers);
        ArgumentNullException.ThrowIfNull(clientFactory);
        ArgumentNullException.ThrowIfNull(requestFactory);
        ArgumentNullException.ThrowIfNull(onPeers);
        ArgumentNullException.ThrowIfNull(time);
        _tiers = tiers;
        _clientFactory = clientFactory;
        _requestFactory = requestFactory;
        _onPeers = onPeers;
        _time = time;
        _log = log;
    }

    /// <summary>The most recent failure, as a sentence naming the tracker; null until one fails.</summary>
    public string? LastError
    {
        get
        {
            lock (_lock)
            {
                return _lastError;
            }
        }
    }

    /// <summary>When the next announce is due; null before the first round ends and after stopping.</summary>
    public DateTimeOffset? NextAnnounce
    {
        get
        {
            lock (_lock)
            {
                return _nextAnnounce;
            }
        }
    }

    /// <summary>Starts announcing, beginning with "started".</summary>
    /// <exception cref="InvalidOperationException">Already started or stopped.</exception>
    /// <summary>Every tracker in tier order, with what its last announce gave.</summary>
    public IReadOnlyList<TrackerStatus> Trackers
    {
        get
        {
            var tiers = _tiers.Tiers;
            lock (_lock)
            {
                return
                [
                    .. tiers.SelectMany((tier, index) => tier.Select(uri => _outcomes.TryGetValue(uri, out var outcome)
                        ? new TrackerStatus(uri, index, outcome.At, outcome.Error, outcome.Seeders, outcome.Leechers, outcome.Peers)
                        : new TrackerStatus(uri, index, null, null, null, null, 0))),
                ];
            }
        }
    }

    public void Start()
    {
        lock (_lock)
        {
            if (_loop is not null || _stopping)
            {
                throw new InvalidOperationException("The announcer was already started or stopped.");
            }

            _loop = Task.Run(() => RunAsync(_cancel.Token));
        }
    }

    /// <summary>
    /// Asks for an announce soon: <see cref="TrackerEvent.Completed"/> reports the download finished (once);
    /// <see cref="TrackerEvent.None"/> or <see cref="TrackerEvent.Started"/> asks for more peers. Either waits for the
    /// min interval and any backoff. <see cref="TrackerEvent.Stopped"/> is <see cref="StopAsync"/>'s job.
    /// </summary>
    public void AnnounceNow(TrackerEvent @event)
    {
        if (@event == TrackerEvent.Stopped)
        {
            throw new ArgumentException("Send \"stopped\" with StopAsync.", nameof(@event));
        }

        lock (_lock)
        {
            if (_stopping)
            {
                return;
            }

            if (@event == TrackerEvent.Completed)
            {
                if (_completedRequested)
                {
                    return;
                }

                _completedRequested = true;
            }

            if (_notBefore < _next)
            {
                _next = _notBefore;
                _nextAnnounce = _next;
            }

            var wake = _wake;
            _wake = NewSignal();
            wake.TrySetResult();
        }
    }

    /// <summary>Stops announcing and sends "stopped" to every tracker that answered, waiting at most 5 s.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        Task? loop;
        lock (_lock)
        {
            if (_stopping)
            {
                return;
            }

            _stopping = true;
            _nextAnnounce = null;
            loop = _loop;
        }

        await _cancel.CancelAsync();
        if (loop is null)
        {
            return;
        }

        try
        {
            await loop;
        }
        catch (OperationCanceledException)
        {
        }

        Uri[] answered;
        lock (_lock)
        {
            answered = [.. _answered];
        }

        if (answered.Length == 0)
        {
            return;
        }

        using var timeout = new TimeLimit(StopTimeout, _time, cancellationToken);
        await Task.WhenAll(answered.Select(uri => SendStoppedAsync(uri, timeout.Token)));
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        await StopAsync(CancellationToken.None);
        foreach (var client in _clients.Values)
        {
            switch (client)
            {
                case IAsyncDisposable asyncDisposable:
                    await asyncDisposable.DisposeAsync();
                    break;
                case IDisposable disposable:
                    disposable.Dispose();
                    break;
            }
        }

        _cancel.Dispose();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            TrackerEvent @event;
            lock (_lock)
            {
                @event = !_startedSent ? TrackerEvent.Started
                    : _completedRequested && !_completedSent ? TrackerEvent.Completed
                    : TrackerEvent.None;
            }

            var response = await AnnounceRoundAsync(@event, cancellationToken);
            var now = _time.GetUtcNow();
            lock (_lock)
            {
                if (response is not null)
                {
                    _failedRounds = 0;
                    _startedSent = true;
                    _completedSent |= @event == TrackerEvent.Completed;
                    var minGap = response.MinInterval ?? (response.Interval < DefaultMinGap ? response.Interval : DefaultMinGap);
                    var interval = response.Interval > minGap ? response.Interval : minGap;
                    _notBefore = now + minGap;
                    _next = _completedRequested && !_completedSent ? _notBefore : now + interval;
                }
                else
                {
                    _failedRounds++;
                    _notBefore = _next = now + Backoff(_failedRounds);
                }

                _nextAnnounce = _stopping ? null : _next;
            }

            if (response is { Peers.Count: > 0 })
            {
                try
                {
                    _onPeers(response.Peers);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    Log($"The peer callback failed: {e.Message}");
                }
            }

            await WaitForNextAsync(cancellationToken);
        }
    }

    internal static TimeSpan Backoff(int failedRounds)
    {
        var doublings = Math.Min(failedRounds - 1, 16);
        var wait = FirstBackoff * (1L << doublings);
        return wait < MaxBackoff ? wait : MaxBackoff;
    }

    private async Task WaitForNextAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task wake;
            DateTimeOffset next;
            lock (_lock)
            {
                wake = _wake.Task;
                next = _next;
            }

            var delay = next - _time.GetUtcNow();
            if (delay <= TimeSpan.Zero)
            {
                return;
            }

            using var waiting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var sleep = Task.Delay(delay, _time, waiting.Token);
            await Task.WhenAny(sleep, wake);
            await waiting.CancelAsync();
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    private async Task<AnnounceResponse?> AnnounceRoundAsync(TrackerEvent @event, CancellationToken cancellationToken)
    {
        var failures = 0;
        foreach (var uri in _tiers.InOrder())
        {
            cancellationToken.ThrowIfCancellationRequested();
            bool known;
            string? trackerId;
            lock (_lock)
            {
                known = _answered.Contains(uri);
                _trackerIds.TryGetValue(uri, out trackerId);
            }

            // A tracker that has not heard from us yet gets "started" rather than a regular announce.
            var sent = @event == TrackerEvent.None && !known ? TrackerEvent.Started : @event;
            try
            {
                var client = GetClient(uri);
                var request = _requestFactory(sent) with { TrackerId = trackerId };
                var response = await client.AnnounceAsync(request, cancellationToken);
                _tiers.Succeeded(uri);
                lock (_lock)
                {
                    if (!known)
                    {
                        _answered.Add(uri);
                    }

                    if (response.TrackerId is not null)
                    {
                        _trackerIds[uri] = response.TrackerId;
                    }

                    if (failures == 0)
                    {
                        _lastError = null;
                    }

                    _outcomes[uri] = (_time.GetUtcNow(), null, response.Seeders, response.Leechers, response.Peers.Count);
                }

                if (response.WarningMessage is not null)
                {
                    Log($"Tracker {TrackerException.Describe(uri)} warns: {response.WarningMessage}");
                }

                Log($"Tracker {TrackerException.Describe(uri)} answered \"{Name(sent)}\" with {response.Peers.Count} peers; next in {response.Interval.TotalSeconds:0} s.");
                return response;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception e)
            {
                failures++;
                var sentence = e is TrackerException
                    ? e.Message
                    : $"Tracker {TrackerException.Describe(uri)}: the announce failed: {e.Message}";
                lock (_lock)
                {
                    _lastError = sentence;
                    _outcomes[uri] = (_time.GetUtcNow(), sentence, null, null, 0);
                }

                Log(sentence);
            }
        }

        if (failures == 0)
        {
            lock (_lock)
            {
                _lastError = "The torrent has no usable tracker.";
            }
        }

        return null;
    }

    private async Task SendStoppedAsync(Uri uri, CancellationToken cancellationToken)
    {
        try
        {
            string? trackerId;
            lock (_lock)
            {
                _trackerIds.TryGetValue(uri, out trackerId);
            }

            var request = _requestFactory(TrackerEvent.Stopped) with { TrackerId = trackerId };
            await GetClient(uri).AnnounceAsync(request, cancellationToken);
        }
        catch (Exception e)
        {
            Log($"Tracker {TrackerException.Describe(uri)}: \"stopped\" was not delivered: {e.Message}");
        }
    }

    private ITrackerClient GetClient(Uri uri)
    {
        lock (_lock)
        {
            if (!_clients.TryGetValue(uri, out var client))
            {
                client = _clientFactory(uri);
                _clients.Add(uri, client);
            }

            return client;
        }
    }

    private void Log(string message) => _log?.Invoke(message);

    private static string Name(TrackerEvent @event) => @event switch
    {
        TrackerEvent.Started => "started",
        TrackerEvent.Completed => "completed",
        TrackerEvent.Stopped => "stopped",
        _ => "announce",
    };
}
