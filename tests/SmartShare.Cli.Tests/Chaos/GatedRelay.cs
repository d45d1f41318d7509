using System.Net;
using System.Net.Sockets;

namespace SmartShare.Cli.Tests.Chaos;

/// <summary>
/// A loopback TCP relay in front of a peer: what the dialer sends passes at once; what the peer answers passes only up
/// to an allowance of bytes, then waits until <see cref="Open"/>. With a small allowance a magnet's metadata fetch
/// through it stays under way (cut anywhere in the handshakes or the metadata message) for as long as the test likes.
/// </summary>
internal sealed class GatedRelay : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly IPEndPoint _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _pumps = [];
    private readonly Lock _lock = new();
    private readonly Task _accepting;
    private readonly TaskCompletionSource _opened = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _allowance;

    public GatedRelay(IPEndPoint target, long allowance)
    {
        _target = target;
        _allowance = allowance;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Lets every byte through from now on.</summary>
    public void Open()
    {
        lock (_lock)
        {
            _allowance = long.MaxValue;
            _opened.TrySetResult();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await Task.WhenAll([_accepting, .. Snapshot()]).ContinueWith(_ => { }, TaskScheduler.Default);
        _stop.Dispose();
    }

    private Task[] Snapshot()
    {
        lock (_lock)
        {
            return [.. _pumps];
        }
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient dialer;
            try
            {
                dialer = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            lock (_lock)
            {
                _pumps.Add(RelayAsync(dialer));
            }
        }
    }

    private async Task RelayAsync(TcpClient dialer)
    {
        using var peer = new TcpClient();
        using var _ = dialer;
        using var both = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        try
        {
            await peer.ConnectAsync(_target, both.Token);
            var up = PumpAsync(dialer.GetStream(), peer.GetStream(), gated: false, both.Token);
            var down = PumpAsync(peer.GetStream(), dialer.GetStream(), gated: true, both.Token);
            await Task.WhenAny(up, down);
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or IOException or ObjectDisposedException)
        {
        }
        finally
        {
            await both.CancelAsync();
        }
    }

    private async Task PumpAsync(NetworkStream from, NetworkStream to, bool gated, CancellationToken cancellationToken)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReadAsync(buffer, cancellationToken);
                if (read == 0)
                {
                    return;
                }

                var sent = 0;
                while (sent < read)
                {
                    var chunk = gated ? await TakeAsync(read - sent, cancellationToken) : read - sent;
                    await to.WriteAsync(buffer.AsMemory(sent, chunk), cancellationToken);
                    sent += chunk;
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or IOException or ObjectDisposedException)
        {
        }
    }

    // Up to `wanted` bytes of the allowance, waiting for the gate to open while none is left.
    private async Task<int> TakeAsync(int wanted, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task opened;
            lock (_lock)
            {
                if (_allowance > 0)
                {
                    var granted = (int)Math.Min(wanted, _allowance);
                    if (_allowance != long.MaxValue)
                    {
                        _allowance -= granted;
                    }

                    return granted;
                }

                opened = _opened.Task;
            }

            await opened.WaitAsync(cancellationToken);
        }
    }
}
