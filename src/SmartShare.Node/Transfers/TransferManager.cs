namespace SmartShare.Node.Transfers;

/// <summary>
/// Every transfer of the node, whichever network carries it: one list, lookup by key, removal. The API and the
/// CLI go through this; only the networks' adapters (<see cref="ITransferNetwork"/>) know streams from torrents.
/// </summary>
public sealed class TransferManager
{
    private readonly Dictionary<TransferNetwork, ITransferNetwork> _networks;
    private readonly ITransferRemovalListener[] _removalListeners;
    private readonly Queueing.TransferScheduler? _queue;
    private readonly System.Collections.Concurrent.ConcurrentBag<List<TransferListing>> _indexes = []; // one for each page built at once

    private static readonly Comparison<TransferListing> ByAdded = TransferListing.CompareByAdded;

    /// <param name="queue">Queues and seeding goals; without one every transfer runs at once and seeds forever.</param>
    public TransferManager(IEnumerable<ITransferNetwork> networks, IEnumerable<ITransferRemovalListener>? removalListeners = null, Queueing.TransferScheduler? queue = null)
    {
        ArgumentNullException.ThrowIfNull(networks);
        _networks = networks.ToDictionary(network => network.Network);
        _removalListeners = [.. removalListeners ?? []];
        _queue = queue;
        queue?.Attach(this);
    }

    public Queueing.TransferScheduler? Queue => _queue;

    /// <summary>All transfers, oldest first.</summary>
    public IReadOnlyList<Transfer> List() => _queue is null ? ListUnscheduled() : [.. ListUnscheduled().Select(_queue.Decorate)];

    /// <summary>
    /// The transfers <see cref="List"/> would give from <paramref name="skip"/>, at most <paramref name="take"/>, and how
    /// many it would give in all: only the page's transfers are built (thousands of them took a page hundreds of ms).
    /// </summary>
    public (IReadOnlyList<Transfer> Page, int Total) Page(int skip, int take)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(skip);
        ArgumentOutOfRangeException.ThrowIfNegative(take);

        // The index of every transfer, sorted in place in a list kept for the next page: built in new arrays (a copy
        // for each network, one for the sort's keys, one for its result) it went to the large-object heap at every
        // page, and a blocking collection of 100+ ms came every second or so while pages were read.
        var index = _indexes.TryTake(out var kept) ? kept : [];
        try
        {
            foreach (var network in _networks.Values)
            {
                network.AddListings(index);
            }

            index.Sort(ByAdded);
            var end = (int)Math.Min(index.Count, (long)skip + take);
            var page = new List<Transfer>(Math.Max(0, end - skip));
            for (var i = skip; i < end; i++)
            {
                // One removed since the index was read is left out of its page.
                if (Find(index[i].Key) is { } transfer)
                {
                    page.Add(transfer);
                }
            }

            return (page, index.Count);
        }
        finally
        {
            index.Clear();
            _indexes.Add(index);
        }
    }

    public Transfer? Find(TransferKey key) => Network(key).Find(key) is { } transfer ? _queue?.Decorate(transfer) ?? transfer : null;

    /// <summary>The networks' own view of every transfer, without the queue's.</summary>
    internal IReadOnlyList<Transfer> ListUnscheduled() =>
        [.. _networks.Values.SelectMany(network => network.List()).OrderBy(transfer => transfer.AddedAt).ThenBy(transfer => transfer.Key.Hash, StringComparer.Ordinal)];

    /// <summary>
    /// Fills <paramref name="statuses"/> (emptied first) with every transfer's <see cref="TransferStatus"/>, in no order
    /// (<see cref="TransferStatus.CompareByAdded"/> gives <see cref="List"/>'s where it matters), no view built: what the
    /// queue decides from, its round every 2 s included. The caller keeps the list, so a round allocates none.
    /// </summary>
    internal void ReadStatuses(List<TransferStatus> statuses)
    {
        ArgumentNullException.ThrowIfNull(statuses);
        statuses.Clear();
        foreach (var network in _networks.Values)
        {
            network.AddStatuses(statuses);
        }
    }

    /// <summary>
    /// Fills <paramref name="rows"/> (emptied first) with every transfer's <see cref="TransferRow"/> as <see cref="List"/>'s
    /// views would give it (the queue's part included), in no order, no view built: what the web UI's feed and the
    /// <c>status</c> counts read every second. The caller keeps the list, so a reading allocates none.
    /// </summary>
    public void ReadRows(List<TransferRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        rows.Clear();
        foreach (var network in _networks.Values)
        {
            network.AddRows(rows);
        }

        if (_queue is not null)
        {
            var span = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(rows);
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = _queue.DecorateRow(span[i]);
            }
        }
    }

    /// <summary>
    /// Adds the transfer a <c>get</c> names: the first network that reads the target takes it (torrents first: a
    /// magnet link, a .torrent path or URL; then streams: an sd hash, a smartshare: link, a .smartshare path), and
    /// whether it was listed before (a get of a listed transfer resumes it).
    /// </summary>
    /// <exception cref="FormatException">No network reads the target, or the one that does finds it unusable.</exception>
    /// <exception cref="IOException">The download folder given cannot be written.</exception>
    public async Task<TransferAdded> AddAsync(TransferRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.DownloadDirectory is { } folder)
        {
            DownloadFolderCheck.EnsureWritable(folder);
        }

        for (var handOns = 0; handOns < 2; handOns++)
        {
            // Torrents first: their targets (magnet:, .torrent, http URLs) are told apart by form; the stream side
            // reads what is left (sd hash, smartshare: link, .smartshare file) and says why when it cannot.
            foreach (var network in _networks.Values.OrderBy(network => network.Network == TransferNetwork.Torrent ? 0 : 1))
            {
                var result = await network.AddAsync(request, cancellationToken);
                if (result.Added is { } key)
                {
                    if (_queue is not null)
                    {
                        // Past the download limit it waits for a slot, stopped.
                        await _queue.AdmitAsync(key);
                    }

                    return new(Find(key) ?? throw new InvalidOperationException($"The transfer {key} ended before it was listed."), result.Created);
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
    public Task<bool> StopAsync(TransferKey key, CancellationToken cancellationToken) =>
        _queue?.StopAsync(key, cancellationToken) ?? Network(key).StopAsync(key, cancellationToken);

    /// <summary>Starts a stopped or failed transfer again, or queues it when its kind of slot is full.</summary>
    public bool Start(TransferKey key) => _queue?.Start(key, now: false) ?? Network(key).Start(key);

    /// <summary>Starts a transfer at once, whatever the queue (Transmission's torrent-start-now).</summary>
    public bool StartNow(TransferKey key) => _queue?.Start(key, now: true) ?? Network(key).Start(key);

    /// <summary>Stops and unlists a transfer; with <paramref name="deleteData"/> its downloaded files go too (a shared source never).</summary>
    public async Task<bool> RemoveAsync(TransferKey key, bool deleteData, CancellationToken cancellationToken)
    {
        var removed = await Network(key).RemoveAsync(key, deleteData, cancellationToken);
        _queue?.Removed(key);
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
