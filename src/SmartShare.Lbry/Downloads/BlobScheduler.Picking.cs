namespace SmartShare.Lbry.Downloads;

/// <summary>Which blob a connection asks for next: the order, the start's limit, the writer's window, duplicates of slow blobs.</summary>
internal sealed partial class BlobScheduler
{
    /// <summary>How long the start's limit (<see cref="StreamDownloadOptions.StartRequests"/>) holds at most.</summary>
    internal static readonly TimeSpan StartLimitTime = TimeSpan.FromSeconds(2);

    private int? PickIndex(DownloadPeer peer, DateTimeOffset now, out bool heldBack, out bool startGated)
    {
        heldBack = false;
        startGated = false;
        if (!_haveDescriptor)
        {
            var requests = _inFlight.Count(request => request.Job.IsDescriptor);
            var asked = _inFlight.Any(request => request.Job.IsDescriptor && request.Peer == peer);
            return !asked && requests < MaxDescriptorRequests && !peer.Lacks.Contains(DownloadPeer.DescriptorIndex)
                ? DownloadPeer.DescriptorIndex
                : null;
        }

        foreach (var index in _priority)
        {
            if (CanAsk(peer, index, now, duplicateAfter: _options.SlowBlobAfter))
            {
                return index;
            }
        }

        if (StartLimitHolds(now))
        {
            heldBack = true;
            startGated = true;
            return null;
        }

        // Lowest first, as the file is written in order, except that the last blob comes right after the lowest
        // missing one: a player's first request waits for the stream's length, which only the last blob's padding
        // tells. A blob slow at another peer counts as unrequested.
        var last = _have.Length - 1;
        for (var i = _lowestMissing; i < _have.Length; i++)
        {
            if (Unrequested(peer, i, now))
            {
                if (i >= _horizon)
                {
                    // Ahead of the writer's window: wait for the writer rather than re-ask blobs in flight.
                    heldBack = true;
                    return null;
                }

                return i;
            }

            if (i == _lowestMissing && last > i && Unrequested(peer, last, now))
            {
                return last;
            }
        }

        // Nothing unrequested is left that this peer has: re-ask a slow blob of another peer, then (at the
        // end) any blob still in flight, so the last blobs never wait on one slow peer.
        foreach (var request in _inFlight.OrderBy(request => request.Started))
        {
            var index = request.Job.Index;
            if (!request.Job.IsDescriptor && CanAsk(peer, index, now, duplicateAfter: TimeSpan.Zero))
            {
                return index;
            }
        }

        return null;
    }

    // Until the lowest blob missing at the start arrives, StartRequests data requests (the first two: that blob and the
    // last, which a player's first read waits for, its bytes and the stream's length) go out and no more, counting those
    // that arrived meanwhile (the last blob is often small and in first): the first blob is not slowed by others
    // competing for the peer's and this node's cores. One blob's time later every connection is busy. A request that
    // fails makes room for another; a first blob slower than StartLimitTime lets the rest go.
    private bool StartLimitHolds(DateTimeOffset now)
    {
        if (_options.StartRequests is not (> 0 and var start) || _startLowest < 0 || _startLowest >= _have.Length || _have[_startLowest])
        {
            return false;
        }

        return (_startPickedAt is not { } picked || now - picked < StartLimitTime) && DataRequestsInFlight() + _startArrived >= start;
    }

    private bool Unrequested(DownloadPeer peer, int index, DateTimeOffset now) =>
        !_have[index] && !peer.Lacks.Contains(index) && (RequestsFor(index) == 0 || CanAsk(peer, index, now, _options.SlowBlobAfter));

    private bool CanAsk(DownloadPeer peer, int index, DateTimeOffset now, TimeSpan duplicateAfter)
    {
        if (_have[index] || peer.Lacks.Contains(index))
        {
            return false;
        }

        var requests = 0;
        foreach (var request in _inFlight)
        {
            if (request.Job.Index != index)
            {
                continue;
            }

            if (request.Peer == peer || now - request.Started < duplicateAfter)
            {
                return false;
            }

            requests++;
        }

        return requests < MaxRequestsPerBlob;
    }

    private int DataRequestsInFlight()
    {
        var count = 0;
        foreach (var request in _inFlight)
        {
            count += request.Job.IsDescriptor ? 0 : 1;
        }

        return count;
    }

    private int RequestsFor(int index)
    {
        var count = 0;
        foreach (var request in _inFlight)
        {
            count += request.Job.Index == index ? 1 : 0;
        }

        return count;
    }
}
