using SmartShare.BitTorrent;
using SmartShare.BitTorrent.Metainfo;
using SmartShare.Node.Torrents;
using SmartShare.Node.Transfers;

namespace SmartShare.Node.Remote;

/// <summary>
/// What Transmission's torrent fields need beyond the transfer model and <see cref="ITransferNetwork.Describe"/>:
/// the metainfo of a running torrent (piece size, comment, creator, creation date, announce URLs) and which pieces
/// it holds. Read from the torrent's session; a torrent that runs no session (stopped, finished, fetching its
/// metadata) has none of these, and the fields fall back to what the transfer knows.
/// </summary>
internal sealed class TorrentDetails
{
    private TorrentDetails(Torrent torrent, Func<int, bool> hasPiece, BitTorrent.Engine.TorrentSession? session = null)
    {
        Torrent = torrent;
        HasPiece = hasPiece;
        Session = session;
    }

    /// <summary>The running session, if any (desiredAvailable, sequentialDownload).</summary>
    public BitTorrent.Engine.TorrentSession? Session { get; }

    public Torrent Torrent { get; }

    public TorrentInfo Info => Torrent.Info;

    public Func<int, bool> HasPiece { get; }

    /// <summary>Announce URLs by tier: the announce-list when the metainfo has one, else its announce URL alone.</summary>
    public IReadOnlyList<(int Tier, string Url)> Trackers
    {
        get
        {
            if (Torrent.AnnounceList.Count > 0)
            {
                return [.. Torrent.AnnounceList.SelectMany((tier, index) => tier.Select(url => (index, url))).Take(TransmissionArguments.MaxListLength)];
            }

            return Torrent.Announce is { Length: > 0 } announce ? [(0, announce)] : [];
        }
    }

    /// <summary>
    /// The torrent's details: from its session while it runs, else from its stored metainfo (pieces then held only
    /// when it completed, since the pieces of a stopped download are known only to its next check); null for a stream
    /// or a magnet still without metadata.
    /// </summary>
    public static TorrentDetails? Of(TorrentManager? torrents, Transfer transfer)
    {
        if (torrents is null || transfer.Key.Network != TransferNetwork.Torrent || !InfoHash.TryParse(transfer.Key.Hash, out var hash))
        {
            return null;
        }

        var complete = transfer.State is TransferState.Seeding or TransferState.Completed;
        if (torrents.Session(hash) is { } session)
        {
            var info = session.Torrent.Info;
            return new TorrentDetails(
                session.Torrent,
                piece => session.HasRange((long)piece * info.PieceLength, info.GetPieceSize(piece)),
                session);
        }

        try
        {
            // Done with some files unwanted is not whole: its pieces are unknown until it runs again.
            return torrents.StoredTorrent(hash) is { } stored
                ? new TorrentDetails(stored, _ => complete && torrents.Selection(hash, stored.Info.Files.Count) is not { WantsAll: false })
                : null;
        }
        catch (TorrentFormatException)
        {
            return null;
        }
    }

    /// <summary>Transmission's <c>pieces</c>: a bitfield of held pieces, the first piece in the high bit of the first byte, in base64.</summary>
    public string PiecesBase64()
    {
        var count = Info.PieceCount;
        var bits = new byte[(count + 7) / 8];
        for (var piece = 0; piece < count; piece++)
        {
            if (HasPiece(piece))
            {
                bits[piece / 8] |= (byte)(0x80 >> (piece % 8));
            }
        }

        return Convert.ToBase64String(bits);
    }
}
