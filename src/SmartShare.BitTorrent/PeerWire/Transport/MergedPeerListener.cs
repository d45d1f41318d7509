using System.Net;
using System.Net.Sockets;
using System.Runtime.ExceptionServices;
using System.Threading.Channels;

namespace SmartShare.BitTorrent.PeerWire.Transport;

/// <summary>
/// Two listeners as one (TCP and uTP on one port number): a loop per listener hands its connections, and the
/// failures of single incoming connections, to <see cref="AcceptAsync"/> in arrival order. One listener closing (its
/// socket gone) leaves the other accepting.
/// </summary>
internal sealed class MergedPeerListener : IPeerListener
{
    private readonly IPeerListener _primary;
    private readonly IPeerListener _secondary;
    private readonly CancellationTokenSource _stop = new();
    private readonly Channel<(IPeerLink? Link, Exception? Error)> _arrivals = Channel.CreateBounded<(IPeerLink?, Exception?)>(1);
    private readonly Task _loops;
    private int _disposed;

    /// <param name="primary">The listener whose address <see cref="LocalEndPoint"/> is.</param>
    /// <param name="secondary">The other.</param>
    public MergedPeerListener(IPeerListener primary, IPeerListener secondary)
    {
        _primary = primary;
        _secondary = secondary;
        _loops = Task.WhenAll(Task.Run(() => PumpAsync(primary)), Task.Run(() => PumpAsync(secondary)));
    }

    public IPEndPoint LocalEndPoint => _primary.LocalEndPoint;

    public async ValueTask<IPeerLink> AcceptAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        (IPeerLink? Link, Exception? Error) arrival;
        try
        {
            arrival = await _arrivals.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            throw new ObjectDisposedException(nameof(MergedPeerListener));
        }

        if (arrival.Error is { } error)
        {
            ExceptionDispatchInfo.Throw(error);
        }

        return arrival.Link!;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        await _primary.DisposeAsync().ConfigureAwait(false);
        await _secondary.DisposeAsync().ConfigureAwait(false);
        await _loops.ConfigureAwait(false);
        _arrivals.Writer.TryComplete();
        while (_arrivals.Reader.TryRead(out var unclaimed))
        {
            if (unclaimed.Link is { } link)
            {
                await link.DisposeAsync().ConfigureAwait(false);
            }
        }

        _stop.Dispose();
    }

    private async Task PumpAsync(IPeerListener listener)
    {
        var token = _stop.Token;
        while (!token.IsCancellationRequested)
        {
            (IPeerLink? Link, Exception? Error) arrival;
            try
            {
                arrival = (await listener.AcceptAsync(token).ConfigureAwait(false), null);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or ChannelClosedException)
            {
                return;
            }
            catch (Exception e) when (e is SocketException or IOException)
            {
                arrival = (null, e);
            }

            try
            {
                await _arrivals.Writer.WriteAsync(arrival, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                if (arrival.Link is { } link)
                {
                    await link.DisposeAsync().ConfigureAwait(false);
                }

                return;
            }
        }
    }
}
