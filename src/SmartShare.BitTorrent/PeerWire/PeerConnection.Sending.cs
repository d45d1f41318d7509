using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace SmartShare.BitTorrent.PeerWire;

/// <summary>Sending messages from any number of tasks, each written and flushed under the send lock.</summary>
public sealed partial class PeerConnection
{
    // Sends: the message is written into the pipe writer and flushed under one lock, so concurrent senders never
    // interleave bytes. Cancelling a send while it waits for the lock sends nothing; cancelling it during the flush
    // closes the connection, since part of the message may already be on the wire.

    /// <summary>Sends a message without payload: choke, unchoke, interested, not interested, have all, have none, keep-alive.</summary>
    public ValueTask SendAsync(PeerMessageType type, CancellationToken ct)
    {
        CheckType(type, PeerMessageType.Choke, PeerMessageType.Unchoke, PeerMessageType.Interested, PeerMessageType.NotInterested,
            PeerMessageType.HaveAll, PeerMessageType.HaveNone, PeerMessageType.KeepAlive);
        return SendCoreAsync(static (writer, type) => PeerMessageCodec.Write(writer, type), type, 0, ct);
    }

    /// <summary>Sends have, suggest or allowed fast.</summary>
    public ValueTask SendIndexAsync(PeerMessageType type, int index, CancellationToken ct)
    {
        CheckType(type, PeerMessageType.Have, PeerMessageType.Suggest, PeerMessageType.AllowedFast);
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        return SendCoreAsync(static (writer, state) => PeerMessageCodec.WriteIndex(writer, state.type, state.index), (type, index), 0, ct);
    }

    /// <summary>Sends request, cancel or reject.</summary>
    public ValueTask SendBlockRequestAsync(PeerMessageType type, int index, int begin, int length, CancellationToken ct)
    {
        CheckType(type, PeerMessageType.Request, PeerMessageType.Cancel, PeerMessageType.Reject);
        CheckBlock(index, begin, length);
        return SendCoreAsync(
            static (writer, state) => PeerMessageCodec.WriteBlockRequest(writer, state.type, state.index, state.begin, state.length),
            (type, index, begin, length),
            0,
            ct);
    }

    /// <summary>Sends many requests with one flush.</summary>
    public ValueTask SendRequestsAsync(ReadOnlyMemory<(int Index, int Begin, int Length)> requests, CancellationToken ct)
    {
        foreach (var (index, begin, length) in requests.Span)
        {
            CheckBlock(index, begin, length);
        }

        return SendCoreAsync(
            static (writer, requests) =>
            {
                foreach (var (index, begin, length) in requests.Span)
                {
                    PeerMessageCodec.WriteBlockRequest(writer, PeerMessageType.Request, index, begin, length);
                }
            },
            requests,
            0,
            ct);
    }

    /// <summary>Sends a bitfield.</summary>
    public ValueTask SendBitfieldAsync(ReadOnlyMemory<byte> bits, CancellationToken ct) =>
        SendCoreAsync(static (writer, bits) => PeerMessageCodec.WriteBitfield(writer, bits.Span), bits, 0, ct);

    /// <summary>Sends a port message (BEP 5).</summary>
    public ValueTask SendPortAsync(ushort port, CancellationToken ct) =>
        SendCoreAsync(static (writer, port) => PeerMessageCodec.WritePort(writer, port), port, 0, ct);

    /// <summary>Sends an extended message (BEP 10); id 0 is the extension handshake.</summary>
    public ValueTask SendExtendedAsync(byte id, ReadOnlyMemory<byte> payload, CancellationToken ct) =>
        SendCoreAsync(static (writer, state) => PeerMessageCodec.WriteExtended(writer, state.id, state.payload.Span), (id, payload), 0, ct);

    /// <summary>Sends a piece message with the <paramref name="length"/> bytes of <paramref name="block"/>, which must be exactly that long.</summary>
    public ValueTask SendPieceAsync(int index, int begin, int length, ReadOnlyMemory<byte> block, CancellationToken ct)
    {
        CheckBlock(index, begin, length);
        if (block.Length != length)
        {
            throw new ArgumentException($"The block is {block.Length} bytes, not the {length} announced.", nameof(block));
        }

        return SendCoreAsync(
            static (writer, state) =>
            {
                var span = writer.GetSpan(PeerMessageCodec.PieceHeaderLength + state.block.Length);
                PeerMessageCodec.WritePieceHeader(span, state.index, state.begin, state.block.Length);
                state.block.Span.CopyTo(span[PeerMessageCodec.PieceHeaderLength..]);
                writer.Advance(PeerMessageCodec.PieceHeaderLength + state.block.Length);
            },
            (index, begin, block),
            length,
            ct);
    }

    /// <summary>
    /// Sends a piece message whose <paramref name="length"/> block bytes <paramref name="fill"/> writes straight into
    /// the send buffer (for example read from disk). <paramref name="fill"/> runs under the send lock: keep it short
    /// and synchronous.
    /// </summary>
    public ValueTask SendPieceAsync<TState>(int index, int begin, int length, TState state, SpanAction<byte, TState> fill, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(fill);
        CheckBlock(index, begin, length);
        return SendCoreAsync(
            static (writer, s) =>
            {
                var span = writer.GetSpan(PeerMessageCodec.PieceHeaderLength + s.length);
                PeerMessageCodec.WritePieceHeader(span, s.index, s.begin, s.length);
                s.fill(span.Slice(PeerMessageCodec.PieceHeaderLength, s.length), s.state);
                writer.Advance(PeerMessageCodec.PieceHeaderLength + s.length);
            },
            (index, begin, length, state, fill),
            length,
            ct);
    }

    private static void CheckType(PeerMessageType type, params ReadOnlySpan<PeerMessageType> allowed)
    {
        if (!allowed.Contains(type))
        {
            throw new ArgumentException($"A {type} message cannot be sent this way.", nameof(type));
        }
    }

    private static void CheckBlock(int index, int begin, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfNegative(begin);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SendCoreAsync<TState>(Action<PipeWriter, TState> write, TState state, int blockBytes, CancellationToken ct)
    {
        await _sendLock.WaitAsync(ct);
        try
        {
            if (Volatile.Read(ref _disposed) != 0)
            {
                throw ClosedByUs();
            }

            write(_writer, state);
            FlushResult result;
            try
            {
                var flush = _writer.FlushAsync(ct);
                if (!flush.IsCompleted)
                {
                    // Only a flush that waits for the peer to read is timed (see CheckReadTimeout); most complete at once.
                    Volatile.Write(ref _flushStart, _time.GetTimestamp());
                }

                try
                {
                    result = await flush;
                }
                finally
                {
                    Volatile.Write(ref _flushStart, 0);
                }
            }
            catch (OperationCanceledException)
            {
                // Part of the message may be on the wire already: nothing sent after it could be parsed, so the
                // connection is done. Disposing waits for this send to let go of the lock.
                _ = DisposeAsync().AsTask();
                throw;
            }

            if (result.IsCanceled || result.IsCompleted)
            {
                throw ClosedByUs();
            }

            if (blockBytes != 0)
            {
                Interlocked.Add(ref _bytesSent, blockBytes);
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException
            || (e is InvalidOperationException && Volatile.Read(ref _disposed) != 0))
        {
            throw Volatile.Read(ref _sendStalled) ? SendTimedOut(e) : Closed(e);
        }
        finally
        {
            _sendLock.Release();
        }
    }
}
