using SmartShare.BitTorrent.PeerWire;

namespace SmartShare.BitTorrent.Engine;

/// <summary>
/// The session's once-a-second tick on its clock. Each tick the current <see cref="TorrentMode"/> says what it
/// does; the downloading and seeding modes call <see cref="TickPeers"/>: snub peers silent for
/// <see cref="TorrentSessionOptions.SnubTimeout"/>, say interest or its loss, top up pipelines, send PEX, run the
/// choke round and keep-alives, retry the resume record and dial more peers. Decides under the session's lock and
/// sends after releasing it.
/// </summary>
internal sealed class SessionTicker(
    Lock sessionLock,
    TimeProvider time,
    TorrentSessionOptions options,
    List<PeerSession> peers,
    Func<PiecePicker?> pickerUnderLock,
    RequestScheduler requests,
    ChokeRound chokeRound,
    PexExchange pex,
    ResumeRecorder resume,
    PeerDialer dialer,
    Func<TorrentMode> mode,
    Func<int, int> draw,
    Action<string> log)
{
    /// <summary>Ticks until <paramref name="token"/> is cancelled.</summary>
    public async Task RunAsync(CancellationToken token)
    {
        if (options.TickStagger > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(draw((int)Math.Max(1, options.TickStagger.TotalMilliseconds))), time, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }

        using var timer = new PeriodicTimer(Busy, options.TickTime ?? time);
        lock (sessionLock)
        {
            _timer = timer;
        }

        // The stop ends the timer rather than the wait (see PeriodicTimerStop), first taking it from the peers' hands
        // under the lock, so no one sets the period of a disposed timer.
        using var stop = token.UnsafeRegister(
            _ =>
            {
                lock (sessionLock)
                {
                    _timer = null;
                }

                timer.Dispose();
            },
            null);
        try
        {
            while (await timer.WaitForNextTickAsync(CancellationToken.None).ConfigureAwait(false))
            {
                var current = mode();
                current.Tick(this);

                // Decided under the lock a joining peer takes too (PeerJoinedUnderLock), so a peer that comes between
                // the decision and the change cannot be left waiting for the idle period.
                lock (sessionLock)
                {
                    var period = current is SeedingMode && peers.Count == 0 && options.IdleSeedTickInterval > Busy ? IdlePeriodUnderLock() : Busy;
                    if (_timer is { } running && running.Period != period)
                    {
                        running.Period = period;
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            lock (sessionLock)
            {
                _timer = null;
            }
        }
    }

    private static readonly TimeSpan Busy = TimeSpan.FromSeconds(1);

    // The running tick's timer, under the session's lock; null before the first tick and after the last.
    private PeriodicTimer? _timer;

    /// <summary>
    /// Under the session's lock, when a peer joins: an idle seed's tick (every
    /// <see cref="TorrentSessionOptions.IdleSeedTickInterval"/>) goes back to once a second from now, so the peer is
    /// choked, kept alive and exchanged with from its first second.
    /// </summary>
    public void PeerJoinedUnderLock()
    {
        if (_timer is { } timer && timer.Period != Busy)
        {
            timer.Period = Busy;
        }
    }

    /// <summary>
    /// Under the session's lock, when the dialer schedules a redial <paramref name="delay"/> from now: a ticker sleeping
    /// longer (an idle seed) wakes then, so its dials are retried as soon as their back-off allows, as before the idle
    /// tick was lengthened.
    /// </summary>
    public void RedialScheduledUnderLock(TimeSpan delay)
    {
        var wake = delay < Busy ? Busy : delay;
        if (_timer is { } timer && timer.Period > wake)
        {
            timer.Period = wake;
        }
    }

    // An idle seed's next tick: the idle period, or sooner when a redial comes due before it.
    private TimeSpan IdlePeriodUnderLock()
    {
        var idle = options.IdleSeedTickInterval;
        return dialer.UntilNextRedialUnderLock() is { } due && due < idle ? (due < Busy ? Busy : due) : idle;
    }

    /// <summary>One tick's work with the connected peers.</summary>
    public void TickPeers()
    {
        var now = time.GetTimestamp();
        var actions = new List<(PeerSession Peer, PeerAction Action)>();
        var keepAlive = new List<PeerSession>();
        lock (sessionLock)
        {
            var picker = pickerUnderLock();
            foreach (var peer in peers)
            {
                if (peer.Outstanding.Count > 0 && time.GetElapsedTime(peer.LastBlock, now) > options.SnubTimeout && !peer.Snubbed)
                {
                    peer.Snubbed = true;
                    requests.GiveBack(peer);
                    log($"{peer} sent nothing for {options.SnubTimeout.TotalSeconds:0} s; its requests go to other peers");
                }

                if (peer.AmInterested && picker is not null && !picker.Wants(peer.Has))
                {
                    peer.AmInterested = false;
                    actions.Add((peer, PeerAction.Send(PeerMessageType.NotInterested)));
                }
                else
                {
                    var topUp = requests.InterestAndTopUp(peer, maybeInterested: !peer.AmInterested);
                    if (!topUp.IsEmpty)
                    {
                        actions.Add((peer, topUp));
                    }
                }

                if (time.GetElapsedTime(peer.LastSend, now) > options.KeepAliveInterval)
                {
                    keepAlive.Add(peer);
                }
            }

            pex.Tick(now, actions);
            chokeRound.Tick(peers, seeding: picker?.IsDone ?? false, now, actions);
        }

        foreach (var (peer, action) in actions)
        {
            _ = peer.SendQuietlyAsync(_ => action.RunAsync(peer));
        }

        foreach (var peer in keepAlive)
        {
            _ = peer.SendQuietlyAsync(c => c.SendAsync(PeerMessageType.KeepAlive, peer.Token));
        }

        resume.Save(force: false);
        dialer.ConnectMore();
    }
}
