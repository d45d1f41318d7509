namespace SmartShare.Node.Transfers;

/// <summary>
/// Every transfer of the node, whichever network carries it: one list, lookup by key, removal. The API and the
/// CLI go through this; only the networks' adapters (<see cref="ITransferNetwork"/>) know streams from torrents.
/// </summary>
public sealed class TransferManager
{
    private readonly Dictionary<TransferNetwork, ITransferNetwork> _networks;
    private readonly ITransferRemovalListener[] _removalListeners;

    public TransferManager(IEnumerable<ITransferNetwork> networks, IEnumerable<ITransferRemovalListener>? removalListeners = null)
    {
        ArgumentNullException.ThrowIfNull(networks);
        _networks = networks.ToDictionary(network => network.Network);
        _removalListeners = [.. removalListeners ?? []];
    }

    /// <summary>All transfers, oldest first.</summary>
    public IReadOnlyList<Transfer> List() =>
        [.. _networks.Values.SelectMany(network => network.List()).OrderBy(transfer => transfer.AddedAt).ThenBy(transfer => transfer.Key.Hash, StringComparer.Ordinal)];

    public Transfer? Find(TransferKey key) => Network(key).Find(key);

    /// <summary>
    /// Adds the transfer a <c>get</c> names: the first network that reads the target takes it (torrents first: a
    /// magnet link, a .torrent path or URL; then streams: an sd hash, a smartshare: link, a .smartshare path).
    /// </summary>
    /// <exception cref="FormatException">No network reads the target, or the one that does finds it unusable.</exception>
    public async Task<Transfer> AddAsync(TransferRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        for (var handOns = 0; handOns < 2; handOns++)
        {
            // Torrents first: their targets (magnet:, .torrent, http URLs) are told apart by form; the stream side
            // reads what is left (sd hash, smartshare: link, .smartshare file) and says why when it cannot.
            foreach (var network in _networks.Values.OrderBy(network => network.Network == TransferNetwork.Torrent ? 0 : 1))
            {
                var result = await network.AddAsync(request, cancellationToken);
                if (result.Added is { } key)
                {
                    return Find(key) ?? throw new InvalidOperationException($"The transfer {key} ended before it was listed.");
                }

                if (result.HandOn is { } target)
                {
                    request = request with { Target = target, PreferBitTorrent = false };
                    break;
                }
            }
        }

        throw new FormatException($"'{request.Target}' is not something SmartShare can get.");
    }

    public ITransferNetwork Network(TransferKey key) =>
        _networks.TryGetValue(key.Network, out var network)
            ? network
            : throw new InvalidOperationException($"The node has no {key.Network.ToString().ToLowerInvariant()} network.");

    /// <summary>The transfer's peers as its network sees them; null when there is no such transfer.</summary>
    public TransferPeers? Peers(TransferKey key) => Network(key).Peers(key);

    /// <summary>Stops a transfer, keeping it listed with what it has.</summary>
    public Task<bool> StopAsync(TransferKey key, CancellationToken cancellationToken) => Network(key).StopAsync(key, cancellationToken);

    /// <summary>Starts a stopped or failed transfer again.</summary>
    public bool Start(TransferKey key) => Network(key).Start(key);

    /// <summary>Stops and unlists a transfer; with <paramref name="deleteData"/> its downloaded files go too (a shared source never).</summary>
    public async Task<bool> RemoveAsync(TransferKey key, bool deleteData, CancellationToken cancellationToken)
    {
        var removed = await Network(key).RemoveAsync(key, deleteData, cancellationToken);
        if (removed)
        {
            foreach (var listener in _removalListeners)
            {
                listener.TransferRemoved(key);
            }
        }

        return removed;
    }
}
