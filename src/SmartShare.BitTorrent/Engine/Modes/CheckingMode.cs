using SmartShare.BitTorrent.Storage;

namespace SmartShare.BitTorrent.Engine;

/// <summary>
/// The session's first mode: before any peer is served or asked, the pieces an earlier run recorded are hashed again
/// on disk, as a piece recorded but changed since must be fetched again. Takes no connections (the client turns
/// away handshakes for a checking torrent) and has no tick work.
/// </summary>
internal sealed class CheckingMode(TorrentStorage storage, IProgress<int> progress, Action<string> log) : TorrentMode
{
    public override TorrentState State => TorrentState.Checking;

    /// <summary>
    /// The pieces to start with: <paramref name="verified"/> as given (the caller hashed them itself), else those
    /// of <paramref name="recorded"/> that still match on disk, else none.
    /// </summary>
    public async Task<Bitfield> CheckAsync(int pieceCount, Bitfield? verified, Bitfield? recorded, CancellationToken cancellationToken)
    {
        if (verified is not null)
        {
            return verified.Clone();
        }

        if (recorded is not { IsEmpty: false })
        {
            return new Bitfield(pieceCount);
        }

        log($"checking {recorded.Count} recorded pieces");
        var have = await storage.RecheckAsync(recorded.SetIndexes(), progress, cancellationToken).ConfigureAwait(false);
        if (have.Count != recorded.Count)
        {
            log($"{recorded.Count - have.Count} recorded pieces no longer match on disk and will be fetched again");
        }

        return have;
    }
}
