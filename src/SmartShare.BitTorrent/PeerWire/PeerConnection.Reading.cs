using System.IO.Pipelines;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace SmartShare.BitTorrent.PeerWire;

/// <summary>Reading messages one at a time, straight out of the receive pipe, under the read timeout.</summary>
public sealed partial class PeerConnection
{
    /// <summary>
    /// Reads the next message. Its <see cref="PeerMessage.Payload"/> is valid until the next call, which releases it.
    /// One read at a time.
    /// </summary>
    /// <exception cref="PeerConnectionException">The connection closed (Closed), the peer broke the protocol
    /// (ProtocolViolation), or nothing at all arrived within the read timeout (TimedOut).</exception>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<PeerMessage> ReadAsync(CancellationToken cancellationToken)
    {
        var state = Interlocked.CompareExchange(ref _readState, Reading, Idle);
        if (state == Disposed)
        {
            throw ClosedByUs();
        }

        if (state == Reading)
        {
            throw new InvalidOperationException("Another read is already in progress on this connection.");
        }

        try
        {
            if (_hasConsumed)
            {
                _hasConsumed = false;
                _reader.AdvanceTo(_consumed);
            }

            while (true)
            {
                ReadResult result;
                Volatile.Write(ref _waitStart, _time.GetTimestamp());
                Volatile.Write(ref _waiting, true);
                try
                {
                    result = await _reader.ReadAsync(cancellationToken);
                }
                catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
                {
                    throw Closed(e);
                }
                finally
                {
                    Volatile.Write(ref _waiting, false);
                }

                if (result.IsCanceled)
                {
                    _reader.AdvanceTo(result.Buffer.Start);
                    if (Volatile.Read(ref _disposed) != 0)
                    {
                        throw ClosedByUs();
                    }

                    if (ReadTimedOut())
                    {
                        throw new PeerConnectionException(
                            PeerConnectionErrorKind.TimedOut,
                            $"Peer {RemoteEndPoint} sent nothing for {_options.ReadTimeout.TotalSeconds:0.###} s.");
                    }

                    continue;
                }

                var buffer = result.Buffer;
                PeerMessage message;
                bool parsed;
                try
                {
                    parsed = PeerMessageCodec.TryRead(ref buffer, MaxMessageLength, out message);
                }
                catch (PeerWireFormatException e)
                {
                    _reader.AdvanceTo(result.Buffer.Start);
                    throw new PeerConnectionException(PeerConnectionErrorKind.ProtocolViolation, $"Peer {RemoteEndPoint} broke the protocol: {e.Message}", e);
                }

                if (parsed)
                {
                    _consumed = buffer.Start;
                    _hasConsumed = true;
                    if (message.Type == PeerMessageType.Piece)
                    {
                        Interlocked.Add(ref _bytesReceived, message.Length);
                    }

                    return message;
                }

                _reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
                if (result.IsCompleted)
                {
                    throw new PeerConnectionException(
                        PeerConnectionErrorKind.Closed,
                        result.Buffer.IsEmpty
                            ? $"Peer {RemoteEndPoint} closed the connection."
                            : $"Peer {RemoteEndPoint} closed the connection in the middle of a message.");
                }
            }
        }
        finally
        {
            if (Interlocked.CompareExchange(ref _readState, Idle, Reading) == Disposed)
            {
                // Disposed while this read was running: the reader is this read's to release.
                _hasConsumed = false;
                await _reader.CompleteAsync();
            }
        }
    }

    // The one periodic timer checks both directions: a read waiting too long, and a send the peer does not drain.
    private void CheckReadTimeout()
    {
        if (Volatile.Read(ref _waiting) && ReadTimedOut())
        {
            _reader.CancelPendingRead();
        }

        var flushStart = Volatile.Read(ref _flushStart);
        if (flushStart != 0 && _time.GetElapsedTime(flushStart) >= _options.SendTimeout && !Volatile.Read(ref _sendStalled))
        {
            // Closing the link fails the stuck flush, which lets go of the send lock.
            Volatile.Write(ref _sendStalled, true);
            _ = DisposeAsync().AsTask();
        }
    }

    private bool ReadTimedOut() => _time.GetElapsedTime(Volatile.Read(ref _waitStart)) >= _options.ReadTimeout;
}
