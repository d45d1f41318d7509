using System.Buffers;

namespace SmartShare.BitTorrent.Utp;

/// <summary>Incoming packets: acknowledgements, delay samples, the receive window and in-order delivery.</summary>
public sealed partial class UtpConnection
{
    // Duplicate ACKs (or packets selectively acknowledged past a hole) before a packet counts as lost.
    private const int DuplicateAcksBeforeResend = 3;

    // The most packets one selective ACK resends at once (libutp: 4).
    private const int MaxResendsPerAck = 4;

    // What a peer may deliver past the receive window it was told (a full packet sent into a window smaller than one)
    // before packets are dropped: memory stays bounded whatever it sends.
    private const int WindowSlack = 64 * 1024;

    // How long a connection closed on our side waits for the peer's FIN once ours is acknowledged.
    private const long LingerMicroseconds = 2_000_000;

    private long _lingerDeadline;
    private int _duplicateAcks;
    private ushort _fastResendSeqNr;
    private bool _fastTimeout;
    private uint _replyMicro;
    private bool _peerSaidClosed;

    /// <summary>Handles one packet the socket matched to this connection (never a RESET, handled by the socket).</summary>
    internal void Receive(in UtpHeader header, ReadOnlySpan<byte> selectiveAck, ReadOnlySpan<byte> payload)
    {
        lock (_gate)
        {
            if (_state == UtpConnectionState.Closed)
            {
                return;
            }

            var now = Now;
            if (header.Type == UtpPacketType.Syn)
            {
                // The opener sent its SYN again: our answer was lost. Answer again; anything else about it is old news.
                if (_state == UtpConnectionState.SynReceived)
                {
                    SendAck(now);
                }

                return;
            }

            // An ACK of something we never sent, or older than the window, is forged or stale (libutp's check,
            // counting only packets that went out: packets waiting in the queue have sequence numbers too).
            var lastSent = (ushort)(_nextUnsent - 1);
            var allowed = Math.Max(_windowPackets + DuplicateAcksBeforeResend, DuplicateAcksBeforeResend);
            if (UtpSequence.Before(lastSent, header.AckNumber) || UtpSequence.Before(header.AckNumber, (ushort)(lastSent - allowed)))
            {
                return;
            }

            if (_state == UtpConnectionState.SynSent)
            {
                if (header.Type != UtpPacketType.State)
                {
                    return;
                }

                // The acceptor's state packet carries the sequence number of its first data packet.
                _ackNr = (ushort)(header.SequenceNumber - 1);
            }

            _lastReceived = now;
            var ahead = (ushort)(header.SequenceNumber - _ackNr - 1);
            if (ahead >= ReorderLimit)
            {
                // Old (a duplicate of something delivered: the peer missed our ACK) or absurdly far ahead.
                if (ahead >= ushort.MaxValue + 1 - ReorderLimit && header.Type != UtpPacketType.State)
                {
                    ScheduleAck();
                }

                return;
            }

            ProcessAcknowledgement(header, selectiveAck, now);
            if (_state == UtpConnectionState.Closed || header.Type == UtpPacketType.State)
            {
                return;
            }

            if (_state == UtpConnectionState.SynReceived)
            {
                // The opener's first data packet: the connection is open, and the application may have it.
                _state = UtpConnectionState.Connected;
                _socket.Accepted(this);
            }

            if (_state != UtpConnectionState.Connected)
            {
                return;
            }

            if (header.Type == UtpPacketType.Fin && !_gotFin)
            {
                _gotFin = true;
                _eofSeq = header.SequenceNumber;
            }

            if (ahead == 0)
            {
                // The packet that fills the hole must always find room, or a reorder buffer full of later packets
                // could never drain (libtorrent stalls for good that way): the latest held packets make room for it,
                // and the peer sends them again. Only what the application has not read can refuse it.
                if (!_readerClosed && _unread + payload.Length > _options.ReceiveWindow + WindowSlack)
                {
                    // More than the window allows (the application stopped reading): the peer sends it again.
                    ScheduleAck();
                    return;
                }

                MakeRoom(payload.Length);

                Deliver(payload);
                _ackNr++;
                var filled = _reorderCount > 0;
                DeliverHeld(now);
                if (filled)
                {
                    HoleFilled(now);
                }

                ScheduleAck();
            }
            else
            {
                Hold(header.SequenceNumber, payload);
            }

            if (_finReached && _finAcked)
            {
                Finish();
            }
        }
    }

    private void ProcessAcknowledgement(in UtpHeader header, ReadOnlySpan<byte> selectiveAck, long now)
    {
        var ackNr = header.AckNumber;
        var oldest = (ushort)(_seqNr - _windowPackets);
        var acks = (ushort)(ackNr - (ushort)(oldest - 1));
        if (acks > _windowPackets)
        {
            acks = 0;
        }

        // Duplicate ACKs count only in state packets: a data packet repeats its ack_nr because it carries data.
        if (_windowPackets > 0)
        {
            if (ackNr == (ushort)(oldest - 1) && header.Type == UtpPacketType.State)
            {
                if (++_duplicateAcks >= DuplicateAcksBeforeResend && !UtpSequence.Before(oldest, _fastResendSeqNr))
                {
                    DetectLosses(now);
                }
            }
            else
            {
                _duplicateAcks = 0;
            }
        }

        long ackedBytes = 0;
        var minRtt = long.MaxValue;
        for (var i = 0; i < acks; i++)
        {
            if (_outgoing[(ushort)(oldest + i) & SlotMask] is { Transmissions: > 0 } packet)
            {
                ackedBytes += packet.Payload;
                minRtt = Math.Min(minRtt, now > packet.SentAt ? now - packet.SentAt : 50_000);
            }
        }

        if (!selectiveAck.IsEmpty)
        {
            ackedBytes += SelectivelyAckedBytes((ushort)(ackNr + 2), selectiveAck, now, ref minRtt);
        }

        TakeDelaySamples(header, now, minRtt);
        if (header.TimestampDifferenceMicroseconds is not 0 and not int.MaxValue && ackedBytes > 0)
        {
            ApplyCongestionControl(ackedBytes, minRtt, now);
        }

        // Whether the peer's window opens again (its last word said closed; a zero-window probe opening it
        // ourselves does not count).
        var reopened = _peerSaidClosed && header.WindowSize >= _options.MaxPayload;
        _peerSaidClosed = header.WindowSize < _options.MaxPayload;
        _peerWindow = header.WindowSize;
        _zeroWindowProbeAt = _peerWindow < _options.MaxPayload ? now + Math.Max(_rtoMicroseconds, 1_000_000) : 0;
        if (_peerWindow < _options.MaxPayload)
        {
            // The peer answers and says its window is closed: a probe it could not take is not a loss, and
            // however long its application stops reading, the connection must not time out while it answers.
            _retransmitCount = 0;
        }

        if (header.Type == UtpPacketType.State && _state == UtpConnectionState.SynSent)
        {
            _state = UtpConnectionState.Connected;
            _connected.TrySetResult();
        }
        else if (_finSent && acks == _windowPackets && acks > 0)
        {
            _finAcked = true;
        }

        if (UtpSequence.Before(_fastResendSeqNr, (ushort)(ackNr + 1)))
        {
            _fastResendSeqNr = (ushort)(ackNr + 1);
        }

        for (var i = 0; i < acks; i++)
        {
            if (!AckPacket((ushort)(_seqNr - _windowPackets), now))
            {
                break;
            }

            _windowPackets--;
        }

        // Packets a selective ACK already took leave gaps at the front of the window.
        while (_windowPackets > 0 && _outgoing[(ushort)(_seqNr - _windowPackets) & SlotMask] is null)
        {
            _windowPackets--;
        }

        if (_windowPackets == 0)
        {
            _rtoDeadline = 0;
        }
        else if (reopened && _outgoing[(ushort)(_seqNr - _windowPackets) & SlotMask] is { Transmissions: > 0 } refused)
        {
            // The peer's window opened again: the probe it had no room for goes again now, not after a timeout
            // that backed off while the window was closed.
            _retransmitTimeout = _rtoMicroseconds;
            _rtoDeadline = now + _rtoMicroseconds;
            SendPacket(refused, now);
        }

        if (_fastTimeout)
        {
            // After a timeout, each ACK lets the next oldest packet go again at once.
            var front = (ushort)(_seqNr - _windowPackets);
            if (front != _fastResendSeqNr)
            {
                _fastTimeout = false;
            }
            else if (_outgoing[front & SlotMask] is { Transmissions: > 0 } packet)
            {
                _fastResendSeqNr++;
                SendPacket(packet, now);
            }
        }

        if (!selectiveAck.IsEmpty)
        {
            SelectiveAck((ushort)(ackNr + 2), selectiveAck, now);
        }

        if (_finAcked && _closeRequested)
        {
            if (_finReached)
            {
                Finish();
                return;
            }

            // Our FIN is acknowledged: wait a little for the peer's, to acknowledge it rather than answer it with a
            // RESET as an unknown connection.
            if (_lingerDeadline == 0)
            {
                _lingerDeadline = now + LingerMicroseconds;
            }
        }

        Flush(now);
        if (_bufferedBytes < _options.SendBuffer && _windowPackets < MaxWindowPackets)
        {
            WakeWriter();
        }
    }

    // Bytes of packets in flight that the selective ACK says arrived (bit i: base + i).
    private long SelectivelyAckedBytes(ushort first, ReadOnlySpan<byte> mask, long now, ref long minRtt)
    {
        long bytes = 0;
        for (var bit = 0; bit < mask.Length * 8; bit++)
        {
            var sequence = (ushort)(first + bit);
            if ((mask[bit >> 3] & (1 << (bit & 7))) == 0 || !InFlight(sequence))
            {
                continue;
            }

            if (_outgoing[sequence & SlotMask] is { Transmissions: > 0 } packet)
            {
                bytes += packet.Payload;
                minRtt = Math.Min(minRtt, now > packet.SentAt ? now - packet.SentAt : 50_000);
            }
        }

        return bytes;
    }

    // Takes the packets the selective ACK names, then looks for losses behind them (DetectLosses).
    private void SelectiveAck(ushort first, ReadOnlySpan<byte> mask, long now)
    {
        if (_windowPackets == 0)
        {
            return;
        }

        var count = 0;
        for (var bit = (mask.Length * 8) - 1; bit >= 0; bit--)
        {
            var sequence = (ushort)(first + bit);
            if (!InFlight(sequence) || (mask[bit >> 3] & (1 << (bit & 7))) == 0)
            {
                continue;
            }

            count++;
            if (_outgoing[sequence & SlotMask] is { Transmissions: > 0 })
            {
                AckPacket(sequence, now);
            }
        }

        _duplicateAcks = count;
        DetectLosses(now);
    }

    // Whether a selective ACK may speak for a sequence number: after the oldest packet in the window (which the
    // ack_nr says is missing) and not past the newest (libutp's test).
    private bool InFlight(ushort sequence) => (ushort)(_seqNr - sequence - 1) < (ushort)(_windowPackets - 1);

    private void Deliver(ReadOnlySpan<byte> payload)
    {
        if (payload.IsEmpty || _readerClosed)
        {
            return;
        }

        _received.Writer.Write(payload);
        _unread += payload.Length;
        var flush = _received.Writer.FlushAsync();
        if (!flush.IsCompleted)
        {
            _ = flush.AsTask();
        }
    }

    private void DeliverHeld(long now)
    {
        while (true)
        {
            if (!_finReached && _gotFin && _eofSeq == _ackNr)
            {
                // Everything up to the FIN arrived: the reader sees the end, and the peer learns it at once.
                _finReached = true;
                DropHeld();
                _received.Writer.Complete();
                SendAck(now);
                return;
            }

            if (_reorderCount == 0)
            {
                return;
            }

            var slot = (ushort)(_ackNr + 1) & (ReorderLimit - 1);
            if (_reorder[slot] is not { } held)
            {
                return;
            }

            var length = _reorderLength[slot];
            _reorder[slot] = null;
            _reorderCount--;
            _reorderBytes -= length;
            Deliver(held.AsSpan(0, length));
            ArrayPool<byte>.Shared.Return(held);
            _ackNr++;
        }
    }

    private void Hold(ushort sequence, ReadOnlySpan<byte> payload)
    {
        if (_gotFin && UtpSequence.Before(_eofSeq, sequence))
        {
            return;
        }

        var slot = sequence & (ReorderLimit - 1);
        if (_reorder[slot] is not null || _unread + _reorderBytes + payload.Length > _options.ReceiveWindow + WindowSlack)
        {
            // A duplicate, or more than the window allows: the peer sends it again later.
            ScheduleAck();
            return;
        }

        var copy = ArrayPool<byte>.Shared.Rent(Math.Max(payload.Length, 1));
        payload.CopyTo(copy);
        _reorder[slot] = copy;
        _reorderLength[slot] = payload.Length;
        _reorderCount++;
        _reorderBytes += payload.Length;
        AckAfterHole(Now);
    }

    // Drops held packets, the furthest ahead first, until the held and unread bytes leave room for this many more.
    private void MakeRoom(int bytes)
    {
        var limit = _options.ReceiveWindow + WindowSlack;
        for (var ahead = ReorderLimit - 1; ahead >= 1 && _reorderCount > 0 && _unread + _reorderBytes + bytes > limit; ahead--)
        {
            var slot = (ushort)(_ackNr + 1 + ahead) & (ReorderLimit - 1);
            if (_reorder[slot] is { } held)
            {
                _reorder[slot] = null;
                _reorderCount--;
                _reorderBytes -= _reorderLength[slot];
                ArrayPool<byte>.Shared.Return(held);
            }
        }
    }

    private void DropHeld()
    {
        for (var i = 0; i < ReorderLimit; i++)
        {
            if (_reorder[i] is { } held)
            {
                _reorder[i] = null;
                ArrayPool<byte>.Shared.Return(held);
            }
        }

        _reorderCount = 0;
        _reorderBytes = 0;
    }
}
