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
        try
        {
            while (await timer.WaitForNextTickAsync(token).ConfigureAwait(false))
            {
                var current = mode();
                current.Tick(this);
                var period = IsIdleSeed(current) ? options.IdleSeedTickInterval : Busy;
                if (timer.Period != period)
                {
                    timer.Period = period;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static readonly TimeSpan Busy = TimeSpan.FromSeconds(1);

    // Seeding with no peer: nothing to snub, choke, keep alive or exchange until one comes.
    private bool IsIdleSeed(TorrentMode current)
    {
        if (current is not SeedingMode || options.IdleSeedTickInterval <= Busy)
        {
            return false;
        }

        lock (sessionLock)
        {
            return peers.Count == 0;
        }
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
