using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace SmartShare.Lbry.BlobExchange;

/// <summary>Opens lbry-sdk compatible blob-exchange connections over TCP.</summary>
public sealed class BlobExchangeClient : IBlobPeerConnector
{
    private readonly BlobExchangeClientOptions _options;
    private readonly TimeProvider _time;

    public BlobExchangeClient(BlobExchangeClientOptions? options = null, TimeProvider? timeProvider = null)
    {
        _options = options ?? new BlobExchangeClientOptions();
        _time = timeProvider ?? TimeProvider.System;
    }

    public async Task<IBlobPeerConnection> ConnectAsync(IPEndPoint peer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(peer);
        var socket = new Socket(peer.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var deadline = new CancellationTokenSource(_options.ConnectTimeout, _time);
            using var onCancel = cancellationToken.UnsafeRegister(static state => ((CancellationTokenSource)state!).Cancel(), deadline);
            try
            {
                await socket.ConnectAsync(peer, deadline.Token);
            }
            catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
            {
                throw new BlobExchangeException(
                    BlobExchangeFailure.ConnectFailed,
                    peer,
                    $"Peer {peer} did not accept a blob-exchange connection within {Seconds(_options.ConnectTimeout)}; trying others.",
                    ex);
            }
            catch (SocketException ex)
            {
                throw new BlobExchangeException(
                    BlobExchangeFailure.ConnectFailed,
                    peer,
                    $"Could not connect to peer {peer} for blob exchange ({ex.SocketErrorCode}); trying others.",
                    ex);
            }

            cancellationToken.ThrowIfCancellationRequested();
            return new BlobExchangeConnection(socket, peer, _options, _time);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    internal static string Seconds(TimeSpan span) => span.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + " s";
}
