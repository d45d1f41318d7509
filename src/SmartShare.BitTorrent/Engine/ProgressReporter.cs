using System.Net;
using SmartShare.BitTorrent.Metainfo;

namespace SmartShare.BitTorrent.Engine;

/// <summary>
/// A torrent's counters and their snapshot: the download and upload meters (totals and rates on the session's
/// clock), the pieces checked so far while the session checks, the verified bytes and what is left. Reads the picker
/// and the peer list under the session's lock.
/// </summary>
internal sealed class ProgressReporter(Lock sessionLock, TimeProvider time, TorrentInfo info, List<PeerSession> peers, Func<PiecePicker?> pickerUnderLock)
{
    private int _checked;

    /// <summary>Payload bytes received (every block, wanted or not).</summary>
    public RateMeter Download { get; } = new(time: time);

    /// <summary>Payload bytes sent.</summary>
    public RateMeter Upload { get; } = new(time: time);

    /// <summary>Pieces the check has found good so far (shown until the picker exists).</summary>
    public IProgress<int> CheckProgress => new Progress<int>(n => Volatile.Write(ref _checked, n));

    /// <summary>A snapshot for progress bars, lists and the API.</summary>
    public TorrentProgress Snapshot(TorrentState state, string? error, string? trackerError)
    {
        lock (sessionLock)
        {
            var picker = pickerUnderLock();
            var have = picker?.Have;
            var havePieces = have?.Count ?? Volatile.Read(ref _checked);
            var verified = have is null ? 0 : VerifiedBytes(have);
            var (wanted, wantedVerified) = picker is null ? (info.TotalLength, verified) : WantedBytes(picker);
            return new TorrentProgress(
                state,
                info.TotalLength,
                verified,
                havePieces,
                info.PieceCount,
                Download.Total,
                Upload.Total,
                Download.Rate,
                Upload.Rate,
                peers.Count,
                peers.Count(p => p.Has.IsComplete),
                error,
                trackerError,
                wanted,
                wantedVerified);
        }
    }

    /// <summary>Connected peers' addresses.</summary>
    public IReadOnlyList<IPEndPoint> ConnectedPeers()
    {
        lock (sessionLock)
        {
            return [.. peers.Select(p => p.EndPoint)];
        }
    }

    /// <summary>Each connected peer: address, client, rates both ways and how much of the torrent it has.</summary>
    public IReadOnlyList<TorrentPeerInfo> PeerDetails()
    {
        lock (sessionLock)
        {
            return [.. peers.Select(p => new TorrentPeerInfo(
                p.EndPoint,
                p.Extensions?.Client ?? p.Id.ToString(),
                p.Download.Rate,
                p.Upload.Rate,
                p.Has.Length == 0 ? 0 : (double)p.Has.Count / p.Has.Length,
                p.Has.IsComplete,
                p.Connection.Transport))];
        }
    }

    /// <summary>Bytes not yet verified, for tracker announces.</summary>
    public long Left()
    {
        lock (sessionLock)
        {
            return info.TotalLength - (pickerUnderLock() is { } picker ? VerifiedBytes(picker.Have) : 0);
        }
    }

    /// <summary>Bytes of wanted pieces still missing that at least one connected peer has (Transmission's desiredAvailable).</summary>
    public long DesiredAvailable()
    {
        lock (sessionLock)
        {
            if (pickerUnderLock() is not { } picker)
            {
                return 0;
            }

            long bytes = 0;
            for (var i = 0; i < info.PieceCount; i++)
            {
                if (picker.IsWanted(i) && !picker.Have[i] && picker.Availability(i) > 0)
                {
                    bytes += info.GetPieceSize(i);
                }
            }

            return bytes;
        }
    }

    private (long Wanted, long Verified) WantedBytes(PiecePicker picker)
    {
        long wanted = 0, verified = 0;
        for (var i = 0; i < info.PieceCount; i++)
        {
            if (picker.IsWanted(i))
            {
                var size = info.GetPieceSize(i);
                wanted += size;
                verified += picker.Have[i] ? size : 0;
            }
        }

        return (wanted, verified);
    }

    private long VerifiedBytes(Bitfield have)
    {
        var bytes = (long)have.Count * info.PieceLength;
        var last = info.PieceCount - 1;
        if (last >= 0 && have[last])
        {
            bytes -= info.PieceLength - info.GetPieceSize(last);
        }

        return bytes;
    }
}
