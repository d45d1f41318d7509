using System.Buffers;
using System.Buffers.Binary;

namespace SmartShare.BitTorrent.Utp;

/// <summary>Outgoing packets: queueing, the send window, retransmission, timeouts, ACKs and LEDBAT.</summary>
public sealed partial class UtpConnection
{
    // Packets in the window at most, one slot kept for the FIN (libutp: 1024).
    private const int MaxWindowPackets = 1023;
    private const long MaxTimeoutMicroseconds = 30_000_000;
    private const int SpareLimit = 64;

    // The most packets one flush sends back to back: a longer burst overflows the receiver's UDP buffer (the kernel's
    // default is about 90 full packets) before it reads, and the burst is lost whole. The rest go on the next ACK.
    private const int MaxBurstPackets = 48;

    private ushort _nextUnsent;
    private int _resendPending;
    private long _curWindow;

    // Bytes of packets sent at least once and not yet acknowledged, lost or not: what may sit in the peer's buffers.
    private long _sentUnacked;
    private int _maxWindow;
    private uint _peerWindow = uint.MaxValue;
    private long _zeroWindowProbeAt;
    private double _rttMilliseconds;
    private double _rttVariance;
    private long _rtoMicroseconds;
    private long _retransmitTimeout;
    private long _rtoDeadline;
    private int _retransmitCount;
    private long _lastSent;
    private long _lastMaxedOut;

    /// <summary>Opens the connection: queues and sends the SYN (its connection id is the one we receive on).</summary>
    internal void StartConnect(ushort initialSequence)
    {
        lock (_gate)
        {
            _state = UtpConnectionState.SynSent;
            _seqNr = initialSequence;
            _fastResendSeqNr = initialSequence;
            var syn = NewPacket(UtpPacketType.Syn);
            _nextUnsent = _seqNr;
            SendPacket(syn, Now);
        }
    }

    /// <summary>Answers a SYN: the state packet carries the sequence number our first data packet will have.</summary>
    internal void StartAccept(ushort synSequence, ushort initialSequence)
    {
        lock (_gate)
        {
            var now = Now;
            _state = UtpConnectionState.SynReceived;
            _ackNr = synSequence;
            _seqNr = initialSequence;
            _nextUnsent = initialSequence;
            _fastResendSeqNr = initialSequence;
            _halfOpenDeadline = now + ToMicroseconds(_options.HalfOpenTimeout);
            SendAck(now);
        }
    }

    /// <summary>Timeouts, zero-window probes and keep-alives; the socket calls it every tick.</summary>
    internal void Tick()
    {
        lock (_gate)
        {
            if (_state == UtpConnectionState.Closed)
            {
                return;
            }

            var now = Now;
            if (_lingerDeadline != 0 && now >= _lingerDeadline)
            {
                Finish();
                return;
            }

            if (_state == UtpConnectionState.SynReceived && now >= _halfOpenDeadline)
            {
                Fail(new IOException($"{Remote} opened a uTP connection and sent nothing."), sendReset: false);
                return;
            }

            if (_zeroWindowProbeAt != 0 && now >= _zeroWindowProbeAt && _peerWindow < _options.MaxPayload)
            {
                // The peer's window stayed closed: let one packet through to learn whether it opened.
                _peerWindow = (uint)_options.MaxPayload;
                _zeroWindowProbeAt = 0;
            }

            if (_lossCheckAt != 0 && now >= _lossCheckAt)
            {
                DetectLosses(now);
            }

            Flush(now);
            if (_rtoDeadline != 0 && now >= _rtoDeadline)
            {
                OnTimeout(now);
                if (_state == UtpConnectionState.Closed)
                {
                    return;
                }
            }

            if (_state == UtpConnectionState.Connected && !_finSent && now - _lastSent >= ToMicroseconds(_options.KeepAliveInterval))
            {
                SendAck(now);
            }
        }
    }

    private int Enqueue(ReadOnlySpan<byte> data)
    {
        var queued = 0;
        var max = _options.MaxPayload;
        while (queued < data.Length)
        {
            // Fill the last packet first while it waits unsent (small writes coalesce).
            if (_windowPackets > 0 && _outgoing[(ushort)(_seqNr - 1) & SlotMask] is { Transmissions: 0, Type: UtpPacketType.Data } last && last.Payload < max)
            {
                var room = Math.Min(max - last.Payload, data.Length - queued);
                data.Slice(queued, room).CopyTo(last.Buffer.AsSpan(last.Length));
                last.Payload += room;
                last.Length += room;
                _bufferedBytes += room;
                queued += room;
                continue;
            }

            if (_windowPackets >= MaxWindowPackets - 1 || _bufferedBytes >= _options.SendBuffer)
            {
                break;
            }

            NewPacket(UtpPacketType.Data);
        }

        return queued;
    }

    private void QueueControl(UtpPacketType type) => NewPacket(type);

    private OutgoingPacket NewPacket(UtpPacketType type)
    {
        var packet = _spare.TryPop(out var spare) ? spare : new OutgoingPacket(ArrayPool<byte>.Shared.Rent(_options.PacketSize));
        packet.Type = type;
        packet.Payload = 0;
        packet.Length = UtpCodec.HeaderLength;
        packet.Transmissions = 0;
        packet.NeedResend = false;
        packet.FastResendEpisode = 0;
        packet.Sequence = _seqNr;
        var buffer = packet.Buffer.AsSpan();
        buffer[..UtpCodec.HeaderLength].Clear();
        buffer[0] = (byte)(((int)type << 4) | UtpCodec.Version);
        BinaryPrimitives.WriteUInt16BigEndian(buffer[2..], type == UtpPacketType.Syn ? ReceiveId : SendId);
        BinaryPrimitives.WriteUInt16BigEndian(buffer[16..], _seqNr);
        if (_windowPackets == 0)
        {
            _retransmitTimeout = _rtoMicroseconds;
        }

        _outgoing[_seqNr & SlotMask] = packet;
        _seqNr++;
        _windowPackets++;
        return packet;
    }

    // Sends what the window allows: packets a timeout marked lost first, then new ones in order.
    private void Flush(long now)
    {
        if (_state != UtpConnectionState.Connected)
        {
            return;
        }

        var burst = 0;
        if (_resendPending > 0)
        {
            for (var sequence = (ushort)(_seqNr - _windowPackets); sequence != _nextUnsent && _resendPending > 0; sequence++)
            {
                if (_outgoing[sequence & SlotMask] is { NeedResend: true } lost)
                {
                    if (IsFull(lost.Payload, resend: true) || burst++ == MaxBurstPackets)
                    {
                        _lastMaxedOut = now;
                        return;
                    }

                    SendPacket(lost, now);
                }
            }
        }

        while (_nextUnsent != _seqNr)
        {
            var packet = _outgoing[_nextUnsent & SlotMask]!;
            if (IsFull(packet.Payload, resend: false) || burst++ == MaxBurstPackets)
            {
                _lastMaxedOut = now;
                return;
            }

            // Nagle: a small last packet waits (and grows) while others are in flight.
            if (packet.Type == UtpPacketType.Data && packet.Payload < _options.MaxPayload && _nextUnsent == (ushort)(_seqNr - 1) && _windowPackets > 1)
            {
                return;
            }

            SendPacket(packet, now);
            _nextUnsent++;
        }
    }

    // The congestion window limits every send. The peer's advertised window limits new data only, and counts every
    // byte sent and not acknowledged, lost or not: the peer may hold those out of order, and a receiver whose reorder
    // buffer fills its window cannot take even the packet that would empty it (libtorrent then drops it for good).
    private bool IsFull(int bytes, bool resend) =>
        _curWindow + bytes > _maxWindow || (!resend && _sentUnacked + bytes > _peerWindow);

    private void SendPacket(OutgoingPacket packet, long now)
    {
        if (packet.Transmissions == 0 || packet.NeedResend)
        {
            _curWindow += packet.Payload;
        }

        if (packet.Transmissions == 0)
        {
            _sentUnacked += packet.Payload;
        }

        if (packet.NeedResend)
        {
            packet.NeedResend = false;
            _resendPending--;
        }

        if (packet.Transmissions > 0)
        {
            Retransmissions++;
        }

        packet.Transmissions++;
        packet.SentAt = now;
        var window = ReceiveWindow();
        var buffer = packet.Buffer.AsSpan();
        BinaryPrimitives.WriteUInt32BigEndian(buffer[4..], (uint)now);
        BinaryPrimitives.WriteUInt32BigEndian(buffer[8..], _replyMicro);
        BinaryPrimitives.WriteUInt32BigEndian(buffer[12..], window);
        BinaryPrimitives.WriteUInt16BigEndian(buffer[18..], _ackNr);
        _lastAdvertisedWindow = window;
        _ackPending = false;
        _ackDueAt = 0;
        _lastSent = now;
        if (_rtoDeadline == 0)
        {
            _rtoDeadline = now + _retransmitTimeout;
        }

        _socket.Send(buffer[..packet.Length], Remote);
    }

    // Takes one packet out of the window. False when it was never sent (an ACK past what went out: stop there).
    private bool AckPacket(ushort sequence, long now)
    {
        var slot = sequence & SlotMask;
        if (_outgoing[slot] is not { } packet)
        {
            return true;
        }

        if (packet.Transmissions == 0)
        {
            return false;
        }

        _outgoing[slot] = null;
        if (packet.FastResendEpisode != 0)
        {
            JudgeFastResend(packet, now);
        }

        if (packet.Transmissions == 1)
        {
            // Karn: only a packet sent once gives a round-trip sample.
            _lastRttSample = now - packet.SentAt;
            _minRttMicroseconds = Math.Min(_minRttMicroseconds, _lastRttSample);
            var sample = (now - packet.SentAt) / 1000.0;
            if (_rttMilliseconds == 0)
            {
                _rttMilliseconds = sample;
                _rttVariance = sample / 2;
            }
            else
            {
                _rttVariance += (Math.Abs(_rttMilliseconds - sample) - _rttVariance) / 4;
                _rttMilliseconds += (sample - _rttMilliseconds) / 8;
            }

            _rtoMicroseconds = Math.Max((long)((_rttMilliseconds + (4 * _rttVariance)) * 1000), ToMicroseconds(_options.MinTimeout));
        }

        _retransmitTimeout = _rtoMicroseconds;
        _rtoDeadline = now + _rtoMicroseconds;
        if (packet.NeedResend)
        {
            _resendPending--;
        }
        else
        {
            _curWindow -= packet.Payload;
        }

        _bufferedBytes -= packet.Payload;
        _sentUnacked -= packet.Payload;
        _retransmitCount = 0;
        Recycle(packet);
        return true;
    }

    private void Recycle(OutgoingPacket packet)
    {
        if (_spare.Count < SpareLimit)
        {
            _spare.Push(packet);
        }
        else
        {
            ArrayPool<byte>.Shared.Return(packet.Buffer);
        }
    }

    private void OnTimeout(long now)
    {
        var oldest = _outgoing[(ushort)(_seqNr - _windowPackets) & SlotMask];
        if (_windowPackets == 0 || oldest is not { Transmissions: > 0 })
        {
            _rtoDeadline = 0;
            return;
        }

        var limit = _state == UtpConnectionState.SynSent ? _options.MaxSynRetransmits : _options.MaxRetransmits;
        if (_retransmitCount >= limit)
        {
            Fail(
                new IOException(_state == UtpConnectionState.SynSent
                    ? $"{Remote} did not answer a uTP SYN ({_retransmitCount + 1} sent)."
                    : $"The uTP connection with {Remote} timed out: nothing acknowledged after {_retransmitCount + 1} tries."),
                sendReset: false);
            return;
        }

        _retransmitTimeout = Math.Min(_retransmitTimeout * 2, MaxTimeoutMicroseconds);
        _rtoDeadline = now + _retransmitTimeout;
        _duplicateAcks = 0;
        _maxWindow = _options.MaxPayload;
        _slowStart = true;

        // Everything in flight counts as lost; the window sends it again as it opens.
        for (var sequence = (ushort)(_seqNr - _windowPackets); sequence != _nextUnsent; sequence++)
        {
            if (_outgoing[sequence & SlotMask] is { Transmissions: > 0, NeedResend: false } packet)
            {
                packet.NeedResend = true;
                _resendPending++;
                _curWindow -= packet.Payload;
            }
        }

        _retransmitCount++;
        Timeouts++;
        _fastTimeout = true;
        _episodeActive = false;
        _lossCheckAt = 0;
        SendPacket(oldest, now);
    }

    private void SendAck(long now)
    {
        Span<byte> mask = stackalloc byte[32];
        mask.Clear();
        var maskLength = 0;
        if (_reorderCount > 0 && !_finReached)
        {
            for (var bit = 0; bit < mask.Length * 8; bit++)
            {
                if (_reorder[(ushort)(_ackNr + 2 + bit) & (ReorderLimit - 1)] is not null)
                {
                    mask[bit >> 3] |= (byte)(1 << (bit & 7));
                    maskLength = Math.Max(maskLength, ((bit >> 5) + 1) * 4);
                }
            }
        }

        var window = ReceiveWindow();
        var header = new UtpHeader(UtpPacketType.State, SendId, (uint)now, _replyMicro, window, _seqNr, _ackNr);
        Span<byte> datagram = stackalloc byte[UtpCodec.HeaderLength + 2 + 32];
        var length = UtpCodec.Write(datagram, header, mask[..maskLength], []);
        _lastAdvertisedWindow = window;
        _ackPending = false;
        _ackDueAt = 0;
        _lastSent = now;
        _socket.Send(datagram[..length], Remote);
    }

    private void SendReset(ushort connectionId, ushort ackNumber)
    {
        Span<byte> datagram = stackalloc byte[UtpCodec.HeaderLength];
        var header = new UtpHeader(UtpPacketType.Reset, connectionId, (uint)Now, 0, 0, _seqNr, ackNumber);
        UtpCodec.Write(datagram, header, [], []);
        _socket.Send(datagram, Remote);
    }
}
