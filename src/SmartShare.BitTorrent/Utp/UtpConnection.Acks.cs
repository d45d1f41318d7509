namespace SmartShare.BitTorrent.Utp;

/// <summary>
/// When ACKs go out: once the socket's receive burst ends (one ACK per burst, as libutp), or, for a packet that
/// arrived past a hole, once the hole has had its chance to fill.
/// </summary>
/// <remarks>
/// Jitter of a few milliseconds reorders packets a peer sent back to back. An ACK sent at once names the late packet
/// as missing (its selective ACK shows the packets after it), and a sender that reads three packets acknowledged past
/// a hole as a loss (libtorrent, libutp) resends it and halves its window, though nothing was lost. So the receiver
/// learns how late reordered packets come (the time from a hole opening to its filling, when that is short) and holds
/// the ACK that would show a hole for one and a half times that, at most <see cref="MaxReorderHoldMicroseconds"/>:
/// if the late packet comes meanwhile, the ACK that goes out shows no hole. A real loss is reported that much later.
/// </remarks>
public sealed partial class UtpConnection
{
    // The longest an ACK showing a hole is held: reordering by jitter is milliseconds; a loss is a round trip.
    private const long MaxReorderHoldMicroseconds = 10_000;

    private long _holeSince;
    private long _reorderHold;
    private long _ackDueAt;

    /// <summary>How long an ACK that would show a hole is held now (learned), in microseconds.</summary>
    internal long ReorderHoldMicroseconds
    {
        get
        {
            lock (_gate)
            {
                return _reorderHold;
            }
        }
    }

    private void ScheduleAck()
    {
        if (!_ackPending)
        {
            _ackPending = true;
            _socket.ScheduleAck(this);
        }
    }

    // A packet was held past a hole: ACK it at the burst's end, unless the hole is young enough that the packet it
    // lacks may still come: then the socket's ACK timer sends it at the end of the hold (FlushHeldAck), and the
    // burst's end sends nothing meanwhile.
    private void AckAfterHole(long now)
    {
        if (_holeSince == 0)
        {
            _holeSince = now;
        }

        var due = _holeSince + _reorderHold;
        if (_reorderHold == 0 || now >= due)
        {
            ScheduleAck();
            return;
        }

        if (_ackDueAt == 0 || due < _ackDueAt)
        {
            _ackDueAt = due;
            _socket.ScheduleAckAt(this, due);
        }
    }

    // The packet a hole lacked arrived: learn how late it was (only a short wait is reordering; a loss takes a round
    // trip, and a round trip on loopback is shorter than the cap, which does no harm), and let the ACK go at the
    // burst's end (queued again: the burst that held it may have been flushed already), or, with another hole
    // behind, at the end of a new hold.
    private void HoleFilled(long now)
    {
        var late = now - _holeSince;
        if (_holeSince != 0 && late <= MaxReorderHoldMicroseconds)
        {
            _reorderHold = Math.Min(MaxReorderHoldMicroseconds, Math.Max(late + (late / 2), _reorderHold - (_reorderHold / 128)));
        }

        _ackDueAt = 0;
        if (_reorderCount > 0)
        {
            // Another hole behind it: hold the ACK that would show it as a new hole (never longer than one hold).
            _holeSince = now;
            AckAfterHole(now);
            _ackPending = true;
            return;
        }

        _holeSince = 0;
        _ackPending = true;
        _socket.ScheduleAck(this);
    }

    /// <summary>Sends the ACK the socket deferred until its receive burst ended (if no data packet carried it since).</summary>
    internal void FlushAck()
    {
        lock (_gate)
        {
            // While an ACK is held, it waits for its own time (FlushHeldAck), whatever else it would acknowledge.
            var now = Now;
            if (_ackPending && _state != UtpConnectionState.Closed && (_ackDueAt == 0 || now >= _ackDueAt))
            {
                SendAck(now);
            }
        }
    }

    /// <summary>The hold of an ACK ended (the socket's ACK timer): send it unless an ACK went out meanwhile.</summary>
    internal void FlushHeldAck()
    {
        lock (_gate)
        {
            var now = Now;
            if (_state != UtpConnectionState.Closed && _ackDueAt != 0 && now >= _ackDueAt)
            {
                SendAck(now);
            }
        }
    }
}
