namespace SmartShare.Node.Reachability;

/// <summary>The port-mapping service's waits: until a renewal or retry, cut short by a router restart, a setting or a port change.</summary>
public sealed partial class PortMappingService
{
    /// <summary>Waits until <paramref name="until"/>, or less: the router restarted, the setting changed, or the bound ports changed.</summary>
    private async Task WaitUntilAsync(DateTimeOffset until, List<(string Protocol, int Port)> wanted, CancellationToken stop)
    {
        var lease = _settings.Current.PortMappingLeaseSeconds;
        lock (_lock)
        {
            _wakeAt = until;
        }

        try
        {
            await WaitCoreAsync(until, wanted, lease, stop);
        }
        finally
        {
            lock (_lock)
            {
                _wakeAt = null;
            }
        }
    }

    private async Task WaitCoreAsync(DateTimeOffset until, List<(string Protocol, int Port)> wanted, int lease, CancellationToken stop)
    {
        while (true)
        {
            var left = until - _time.GetUtcNow();
            if (left <= TimeSpan.Zero || Volatile.Read(ref _restartPending) != 0)
            {
                return;
            }

            if (await NapAsync(left < SettingsPoll ? left : SettingsPoll, stop))
            {
                return;
            }

            var settings = _settings.Current;
            if (!settings.PortMapping || settings.PortMappingLeaseSeconds != lease || !Wanted().SequenceEqual(wanted))
            {
                return;
            }
        }
    }

    /// <summary>Sleeps on the node's clock; true when woken early (the router restarted).</summary>
    private async Task<bool> NapAsync(TimeSpan delay, CancellationToken stop)
    {
        CancellationTokenSource wake;
        lock (_lock)
        {
            if (_wake.IsCancellationRequested)
            {
                _wake = new CancellationTokenSource();
                return true;
            }

            wake = _wake;
        }

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stop, wake.Token);
        try
        {
            await Task.Delay(delay, _time, linked.Token);
            return false;
        }
        catch (OperationCanceledException) when (!stop.IsCancellationRequested)
        {
            lock (_lock)
            {
                if (ReferenceEquals(wake, _wake))
                {
                    _wake = new CancellationTokenSource();
                }
            }

            return true;
        }
    }

    private async Task WaitQuietlyAsync(DateTimeOffset until, CancellationToken stop)
    {
        try
        {
            await WaitUntilAsync(until, Wanted(), stop);
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    private void OnGatewayRestarted(IPortMappingProtocol protocol)
    {
        CancellationTokenSource wake;
        lock (_lock)
        {
            if (!ReferenceEquals(protocol, _active))
            {
                return;
            }

            _restarts++;
            _restartPending = 1;
            wake = _wake;
        }

        // Asynchronously: the loop must not run on the thread that reported the restart (a socket's, or a test's).
        _ = wake.CancelAsync();
        LogRestarted(protocol.Name);
    }

    /// <summary>A remap answers every restart signalled so far: one restart, one round of mapping.</summary>
    private void ConsumeRestart()
    {
        lock (_lock)
        {
            // The wake a pending restart cancels (perhaps not yet: the cancel runs on the thread pool) is spent here.
            if (_restartPending != 0 || _wake.IsCancellationRequested)
            {
                _wake = new CancellationTokenSource();
            }

            _restartPending = 0;
        }
    }
}
