using System.Text.Json.Nodes;
using SmartShare.Node.Transfers;

namespace SmartShare.Node.Remote;

/// <summary>One transfer as <c>torrent-get</c> sees it, with what is costly to find (its network's view, peers, metainfo) read once and only when a field asks.</summary>
internal sealed class TorrentContext(
    int id,
    Transfer transfer,
    TransferManager transfers,
    Torrents.TorrentManager? torrents,
    string defaultDirectory,
    TransmissionIds ids,
    DateTimeOffset now,
    Limits.BandwidthLimits? limits = null)
{
    private JsonObject? _view;
    private TransferPeers? _peers;
    private bool _peersRead;
    private TorrentDetails? _details;
    private bool _detailsRead;

    public int Id => id;

    public Transfer Transfer => transfer;

    public string DefaultDirectory => defaultDirectory;

    public TransmissionIds Ids => ids;

    public DateTimeOffset Now => now;

    /// <summary>The transfer's own speed limits.</summary>
    public Limits.TransferLimits OwnLimits => limits?.Get(transfer.Key) ?? Limits.TransferLimits.None;

    /// <summary>The network's own fields (<see cref="ITransferNetwork.Describe"/>).</summary>
    public JsonObject View => _view ??= transfers.Network(transfer.Key).Describe(transfer, null);

    public IReadOnlyList<TransferPeer> Peers
    {
        get
        {
            if (!_peersRead)
            {
                _peers = transfers.Peers(transfer.Key);
                _peersRead = true;
            }

            return _peers?.Peers ?? [];
        }
    }

    public TorrentDetails? Details
    {
        get
        {
            if (!_detailsRead)
            {
                _details = TorrentDetails.Of(torrents, transfer);
                _detailsRead = true;
            }

            return _details;
        }
    }
}
