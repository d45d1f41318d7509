namespace SmartShare.BitTorrent.Utp;

/// <summary>
/// LEDBAT: one-way delay samples both ways, the congestion window's growth and shrinking, and slow start; which
/// packets are lost, and taking a halving back when a "loss" was only reordering.
/// </summary>
public sealed partial class UtpConnection
{
    private const long DecayIntervalMicroseconds = 100_000;

    private readonly UtpDelayHistory _ourDelays = new();
    private readonly UtpDelayHistory _theirDelays = new();
    private long _lastDecay;
    private bool _slowStart = true;
    private long _ssthresh = long.MaxValue;

    // The open fast-resend episode, whose halving an ACK of a first copy can take back (JudgeFastResend).
    private int _episode;
    private bool _episodeActive;
    private int _episodeOpen;
    private bool _episodeGenuine;
    private int _windowBefore;
    private long _ssthreshBefore;
    private bool _slowStartBefore;
    private long _lastDecayBefore;
    private long _minRttMicroseconds = long.MaxValue;
    private long _lastRttSample;

    // How long after its ACK was due a packet may still arrive reordered: 0 until a resend proved needless.
    private long _reorderWindow;

    // When DetectLosses must look again at packets it held back for the reorder window (0: none).
    private long _lossCheckAt;

    /// <summary>Fast-resend episodes whose halving was taken back: every packet they resent had arrived (reordered).</summary>
    public long SpuriousResends { get; private set; }

    private void TakeDelaySamples(in UtpHeader header, long now, long minRtt)
    {
        // Their delay: our clock now minus theirs when they sent; we report it back in every header we send.
        var theirDelay = header.TimestampMicroseconds == 0 ? 0 : (uint)now - header.TimestampMicroseconds;
        _replyMicro = theirDelay;
        var hadTheirs = _theirDelays.HasSamples;
        var previousBase = _theirDelays.Base;
        if (theirDelay != 0)
        {
            _theirDelays.Add(theirDelay, now);
        }

        // Their base falling means our clock runs slow against theirs: our own base must rise as much.
        if (hadTheirs && UtpSequence.Before(_theirDelays.Base, previousBase) && previousBase - _theirDelays.Base <= 10_000)
        {
            _ourDelays.Shift(previousBase - _theirDelays.Base);
        }

        var actual = header.TimestampDifferenceMicroseconds;
        if (actual is not 0 and not int.MaxValue)
        {
            _ourDelays.Add(actual, now);
        }

        // A queuing delay can never exceed the round trip.
        if (minRtt != long.MaxValue && _ourDelays.Value > minRtt)
        {
            _ourDelays.Shift((uint)(_ourDelays.Value - minRtt));
        }
    }

    // Resends, oldest first and at most MaxResendsPerAck, the packets sent before DuplicateAcksBeforeResend or more
    // packets a selective ACK took (their slots are empty), and the oldest after as many duplicate ACKs. Once
    // reordering was seen (a resend proved needless), a packet counts as lost only a reorder window (a quarter of the
    // smallest round trip) after its ACK was due, as RACK (RFC 8985) does; until then the next ACK or tick looks again.
    private void DetectLosses(long now)
    {
        _lossCheckAt = 0;
        var oldest = (ushort)(_seqNr - _windowPackets);
        var sent = (ushort)(_nextUnsent - oldest);
        if (_windowPackets == 0 || sent == 0 || sent > _windowPackets)
        {
            return;
        }

        // Found newest first; resent oldest first.
        Span<ushort> candidates = stackalloc ushort[sent];
        var candidateCount = 0;
        var acked = 0;
        for (var i = sent - 1; i >= 0; i--)
        {
            var sequence = (ushort)(oldest + i);
            if (_outgoing[sequence & SlotMask] is not { } packet)
            {
                acked++;
                continue;
            }

            var evidence = sequence == oldest ? Math.Max(acked, _duplicateAcks) : acked;
            if (packet.Transmissions == 0 || evidence < DuplicateAcksBeforeResend || UtpSequence.Before(sequence, _fastResendSeqNr))
            {
                continue;
            }

            var due = packet.SentAt + _lastRttSample + _reorderWindow;
            if (_reorderWindow > 0 && now < due)
            {
                _lossCheckAt = _lossCheckAt == 0 ? due : Math.Min(_lossCheckAt, due);
                continue;
            }

            candidates[candidateCount++] = sequence;
        }

        for (int i = candidateCount - 1, resent = 0; i >= 0 && resent < MaxResendsPerAck; i--)
        {
            var packet = _outgoing[candidates[i] & SlotMask]!;
            if (resent++ == 0)
            {
                DecayForFastResend(now);
            }

            NoteFastResend(packet);
            SendPacket(packet, now);
            _fastResendSeqNr = (ushort)(candidates[i] + 1);
        }
    }

    // A loss: halve the window, at most once per 100 ms (libutp), and leave slow start. False when it was too soon.
    private bool DecayWindow(long now)
    {
        if (now - _lastDecay < DecayIntervalMicroseconds)
        {
            return false;
        }

        _maxWindow = Math.Max(_maxWindow / 2, _options.MaxPayload);
        _lastDecay = now;
        _slowStart = false;
        _ssthresh = _maxWindow;
        return true;
    }

    // A fast resend (duplicate or selective ACKs said a packet was lost): halves the window as a loss does, and opens
    // an episode that can take the halving back (see JudgeFastResend). Call before resending.
    private void DecayForFastResend(long now)
    {
        var (window, ssthresh, slowStart, lastDecay) = (_maxWindow, _ssthresh, _slowStart, _lastDecay);
        if (!DecayWindow(now))
        {
            return;
        }

        _episode = _episode == int.MaxValue ? 1 : _episode + 1;
        _episodeActive = true;
        _episodeOpen = 0;
        _episodeGenuine = false;
        (_windowBefore, _ssthreshBefore, _slowStartBefore, _lastDecayBefore) = (window, ssthresh, slowStart, lastDecay);
    }

    // Counts a fast-resent packet in the open episode (resends within 100 ms of its halving belong to it).
    private void NoteFastResend(OutgoingPacket packet)
    {
        if (_episodeActive && packet.FastResendEpisode != _episode)
        {
            packet.FastResendEpisode = _episode;
            _episodeOpen++;
        }
    }

    // A fast-resent packet is acknowledged. An ACK sooner than half the smallest round trip after the resend cannot be
    // the resend's: the first copy arrived, late (reordered), and the "loss" was not one. When every packet the
    // episode resent turns out so, the halving is taken back (as TCP's Eifel response, RFC 4015, does), and from then
    // on losses wait a reorder window (DetectLosses): jitter that reorders a burst by a few milliseconds would
    // otherwise halve the window again and again.
    private void JudgeFastResend(OutgoingPacket packet, long now)
    {
        if (!_episodeActive || packet.FastResendEpisode != _episode)
        {
            return;
        }

        if (_minRttMicroseconds == long.MaxValue || now - packet.SentAt >= _minRttMicroseconds / 2)
        {
            _episodeGenuine = true;
        }

        if (--_episodeOpen > 0)
        {
            return;
        }

        _episodeActive = false;
        if (!_episodeGenuine)
        {
            _reorderWindow = Math.Max(_reorderWindow, Math.Max(1, _minRttMicroseconds / 4));
            _maxWindow = Math.Max(_maxWindow, _windowBefore);
            (_ssthresh, _slowStart, _lastDecay) = (_ssthreshBefore, _slowStartBefore, _lastDecayBefore);
            SpuriousResends++;
        }
    }

    // LEDBAT (libutp's rule): grow or shrink the window in proportion to how far the queuing delay is from the target,
    // by at most MaxWindowIncreasePerRtt a round trip; slow start doubles it each round trip (as libtorrent does)
    // until the delay nears the target.
    private void ApplyCongestionControl(long ackedBytes, long minRtt, long now)
    {
        long ourDelay = _ourDelays.Value;
        if (minRtt != long.MaxValue)
        {
            ourDelay = Math.Min(ourDelay, minRtt);
        }

        double target = ToMicroseconds(_options.TargetDelay);
        var offTarget = target - ourDelay;
        var windowFactor = Math.Min(ackedBytes, _maxWindow) / (double)Math.Max(_maxWindow, ackedBytes);
        var gain = _options.MaxWindowIncreasePerRtt * windowFactor * Math.Min(offTarget, target) / target;

        // Not held back by the window for a second: the application sends less than the window allows, so
        // growing it means nothing (and would let it grow without bound).
        var limited = now - _lastMaxedOut > 1_000_000;
        if (gain > 0 && limited)
        {
            gain = 0;
        }

        var next = _maxWindow + gain;
        if (_slowStart)
        {
            var doubled = _maxWindow + (limited ? 0 : Math.Min(ackedBytes, _maxWindow));
            if (doubled > _ssthresh)
            {
                _slowStart = false;
            }
            else if (ourDelay > target * 0.9)
            {
                _slowStart = false;
                _ssthresh = _maxWindow;
            }
            else
            {
                next = Math.Max(doubled, next);
            }
        }

        _maxWindow = (int)Math.Clamp(next, _options.MaxPayload, _options.SendBuffer);
    }
}
