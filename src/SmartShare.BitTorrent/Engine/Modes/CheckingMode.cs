using SmartShare.BitTorrent.Storage;
using SmartShare.IO;

namespace SmartShare.BitTorrent.Engine;

/// <summary>
/// The session's first mode: before any peer is served or asked, the pieces an earlier run recorded are taken back.
/// A recorded piece whose files all still have the size and last-write time stamped with the record is trusted
/// without reading it; the others are hashed again on disk, as a piece recorded but changed since must be fetched
/// again (a file altered without its stamp moving is caught when a piece of it is served: see
/// <see cref="PieceOutcomes.PieceLost"/>). Takes no connections (the client turns away handshakes for a checking
/// torrent) and has no tick work.
/// </summary>
internal sealed class CheckingMode(TorrentStorage storage, IProgress<int> progress, Action<string> log) : TorrentMode
{
    public override TorrentState State => TorrentState.Checking;

    /// <summary>
    /// The pieces to start with: <paramref name="verified"/> as given (the caller hashed them itself), else those
    /// of <paramref name="recorded"/> that are trusted or still match on disk, else none. <see cref="CheckResult.Stamps"/>
    /// are the files' stamps taken before anything was read.
    /// </summary>
    public async Task<CheckResult> CheckAsync(int pieceCount, Bitfield? verified, ResumeRecord? recorded, CancellationToken cancellationToken)
    {
        // Taken first: a file changing while (or after) its pieces are read moves its stamp away from this one.
        var stamps = storage.StampFiles();
        if (verified is not null)
        {
            return new CheckResult(verified.Clone(), stamps);
        }

        if (recorded?.Pieces is not { IsEmpty: false } pieces)
        {
            return new CheckResult(new Bitfield(pieceCount), stamps);
        }

        var unchanged = new bool[stamps.Length];
        for (var i = 0; i < stamps.Length; i++)
        {
            unchanged[i] = recorded.Stamps is { } then && then[i].Vouches(stamps[i]);
        }

        var have = new Bitfield(pieceCount);
        var toCheck = new List<int>();
        foreach (var piece in pieces.SetIndexes())
        {
            if (storage.FilesOf(piece).All(file => unchanged[file]))
            {
                have[piece] = true;
            }
            else
            {
                toCheck.Add(piece);
            }
        }

        if (toCheck.Count == 0)
        {
            log($"trusting {pieces.Count} recorded pieces: their files are unchanged");
            return new CheckResult(have, stamps);
        }

        log(have.Count > 0
            ? $"trusting {have.Count} recorded pieces of unchanged files; checking {toCheck.Count}"
            : $"checking {toCheck.Count} recorded pieces");
        var matching = await storage.RecheckAsync(toCheck, progress, cancellationToken).ConfigureAwait(false);
        foreach (var piece in matching.SetIndexes())
        {
            have[piece] = true;
        }

        if (have.Count != pieces.Count)
        {
            log($"{pieces.Count - have.Count} recorded pieces no longer match on disk and will be fetched again");
        }

        return new CheckResult(have, stamps);
    }
}

/// <summary>What a start's check found: the pieces to start with, and every file's stamp before any was read.</summary>
internal sealed record CheckResult(Bitfield Have, FileStamp[] Stamps);
