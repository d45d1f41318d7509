using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using SmartShare.Threading;

namespace SmartShare.BitTorrent.Trackers;

/// <summary>
/// A UDP tracker (BEP 15) with its own socket. Requests go one at a time; a connection id is reused for 60 s.
/// An unanswered request is sent again after <see cref="TrackerOptions.UdpInitialTimeout"/> * 2^n (never beyond
/// BEP 15's 15 * 2^n s nor <see cref="TrackerOptions.RequestTimeout"/>), <see cref="TrackerOptions.UdpRetries"/> times.
/// </summary>
public sealed class UdpTrackerClient : ITrackerClient, IDisposable
{
    private static readonly TimeSpan ConnectionIdLifetime = TimeSpan.FromSeconds(60);

    private readonly TrackerOptions _options;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly byte[] _receiveBuffer = new byte[64 * 1024];
    private Socket? _socket;
    private long _connectionId;
    private long _connectionIdTimestamp;
    private bool _hasConnectionId;
    private bool _disposed;

    /// <param name="time">The clock of the retry timeouts and the connection id's lifetime; default the system clock.</param>
    public UdpTrackerClient(Uri udpAnnounce, TrackerOptions options, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(udpAnnounce);
        ArgumentNullException.ThrowIfNull(options);
        if (!udpAnnounce.IsAbsoluteUri || udpAnnounce.Scheme != "udp" || udpAnnounce.Port <= 0)
        {
            throw new TrackerException(
                TrackerErrorKind.UnsupportedScheme,
                $"Tracker {udpAnnounce}: a UDP tracker URL must be udp://host:port.");
        }

        Uri = udpAnnounce;
        _options = options;
        _time = time ?? TimeProvider.System;
    }

    public Uri Uri { get; }

    public async Task<AnnounceResponse> AnnounceAsync(AnnounceRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return await RunAsync(
            async ct =>
            {
                var connectionId = await ConnectAsync(ct);
                var datagram = new byte[UdpTrackerCodec.AnnounceRequestLength];
                return await ExchangeAsync(
                    tx => UdpTrackerCodec.WriteAnnounceRequest(datagram, connectionId, tx, request),
                    datagram,
                    (answer, tx) => UdpTrackerCodec.ParseAnnounceResponse(answer, tx, _options.MaxPeers),
                    ct);
            },
            cancellationToken);
    }

    public async Task<ScrapeResponse?> ScrapeAsync(InfoHash infoHash, CancellationToken cancellationToken)
    {
        return await RunAsync<ScrapeResponse?>(
            async ct =>
            {
                var connectionId = await ConnectAsync(ct);
                var datagram = new byte[UdpTrackerCodec.ScrapeRequestLength];
                var counts = await ExchangeAsync(
                    tx => UdpTrackerCodec.WriteScrapeRequest(datagram, connectionId, tx, infoHash),
                    datagram,
                    UdpTrackerCodec.ParseScrapeResponse,
                    ct);

                // BEP 15 has no "unknown torrent" answer; a tracker that never saw the hash reports all zeros.
                return counts is { Seeders: 0, Completed: 0, Leechers: 0 } ? null : counts;
            },
            cancellationToken);
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _socket?.Dispose();
        _gate.Dispose();
    }

    private async Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> action, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            return await action(cancellationToken);
        }
        catch (TrackerException e)
        {
            if (e.Kind is TrackerErrorKind.TimedOut or TrackerErrorKind.Failure)
            {
                // The tracker may have forgotten us; start over with a fresh connect next time.
                _hasConnectionId = false;
            }

            throw e.ForTracker(Uri);
        }
        catch (SocketException e)
        {
            _hasConnectionId = false;
            throw new TrackerException(TrackerErrorKind.Unreachable, $"The tracker could not be reached: {e.Message}", e).ForTracker(Uri);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<long> ConnectAsync(CancellationToken cancellationToken)
    {
        if (_hasConnectionId && _time.GetElapsedTime(_connectionIdTimestamp) < ConnectionIdLifetime)
        {
            return _connectionId;
        }

        var datagram = new byte[UdpTrackerCodec.ConnectRequestLength];
        var connectionId = await ExchangeAsync(
            tx => UdpTrackerCodec.WriteConnectRequest(datagram, tx),
            datagram,
            UdpTrackerCodec.ParseConnectResponse,
            cancellationToken);
        _connectionId = connectionId;
        _connectionIdTimestamp = _time.GetTimestamp();
        _hasConnectionId = true;
        return connectionId;
    }

    private delegate T Parser<out T>(ReadOnlySpan<byte> datagram, uint transactionId);

    private async Task<T> ExchangeAsync<T>(Func<uint, int> write, byte[] datagram, Parser<T> parse, CancellationToken cancellationToken)
    {
        var socket = await GetSocketAsync(cancellationToken);
        for (var attempt = 0; attempt <= _options.UdpRetries; attempt++)
        {
            // A fresh transaction id per try: a late answer to an earlier try is simply ignored.
            var transactionId = NewTransactionId();
            var length = write(transactionId);
            await socket.SendAsync(datagram.AsMemory(0, length), SocketFlags.None, cancellationToken);

            using var wait = new TimeLimit(AttemptTimeout(attempt), _time, cancellationToken);
            try
            {
                while (true)
                {
                    var received = await socket.ReceiveAsync(_receiveBuffer, SocketFlags.None, wait.Token);
                    var answer = _receiveBuffer.AsSpan(0, received);
                    if (UdpTrackerCodec.TryReadTransactionId(answer, out var answered) && answered == transactionId)
                    {
                        return parse(answer, transactionId);
                    }
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // This try went unanswered; send again with a longer wait.
            }
        }

        throw new TrackerException(
            TrackerErrorKind.TimedOut,
            $"No answer after {_options.UdpRetries + 1} tries.");
    }

    private TimeSpan AttemptTimeout(int attempt)
    {
        var factor = 1L << Math.Min(attempt, 8);
        var wanted = _options.UdpInitialTimeout * factor;
        var bep15 = TimeSpan.FromSeconds(15) * factor;
        var timeout = wanted < bep15 ? wanted : bep15;
        return timeout < _options.RequestTimeout ? timeout : _options.RequestTimeout;
    }

    private async Task<Socket> GetSocketAsync(CancellationToken cancellationToken)
    {
        if (_socket is not null)
        {
            return _socket;
        }

        IPAddress address;
        if (!IPAddress.TryParse(Uri.IdnHost, out address!))
        {
            IPAddress[] addresses;
            try
            {
                addresses = await Dns.GetHostAddressesAsync(Uri.IdnHost, cancellationToken);
            }
            catch (SocketException e)
            {
                throw new TrackerException(TrackerErrorKind.Unreachable, $"The host name did not resolve: {e.Message}", e);
            }

            address = addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork)
                ?? addresses.FirstOrDefault()
                ?? throw new TrackerException(TrackerErrorKind.Unreachable, "The host name has no address.");
        }

        var socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            // Connected, so that the kernel drops datagrams from anyone else and reports a closed port.
            await socket.ConnectAsync(new IPEndPoint(address, Uri.Port), cancellationToken);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        _socket = socket;
        return socket;
    }

    private static uint NewTransactionId()
    {
        Span<byte> bytes = stackalloc byte[4];
        RandomNumberGenerator.Fill(bytes);
        return BinaryPrimitives.ReadUInt32LittleEndian(bytes);
    }
}
