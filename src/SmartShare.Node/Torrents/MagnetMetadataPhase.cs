using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using SmartShare.BitTorrent;
using SmartShare.BitTorrent.Engine;
using SmartShare.BitTorrent.Metainfo;
using SmartShare.BitTorrent.Storage;
using SmartShare.BitTorrent.Trackers;
using SmartShare.Node.Downloads;
using SmartShare.Node.Networks;

namespace SmartShare.Node.Torrents;

/// <summary>
/// The first phase of a torrent added by magnet link: its entry is listed without metainfo (and with its link, so a
/// restart fetches again), its metadata is fetched from every source at once (the link's and the caller's peers, its
/// trackers, DHT lookups every 15 s, its DHT nodes added to ours) and checked against the info hash, and the
/// metainfo is handed over to start the torrent's session. A failure is recorded on the entry.
/// </summary>
internal sealed partial class MagnetMetadataPhase(
    TorrentStore store,
    BitTorrentNetwork network,
    IRandomSource random,
    TimeProvider time,
    ILogger logger,
    Lock handOverLock,
    Action<ReadOnlyMemory<byte>, string, IReadOnlyList<IPEndPoint>> handOver)
{
    private static readonly TimeSpan LookUpInterval = TimeSpan.FromSeconds(15);

    private readonly ConcurrentDictionary<InfoHash, Job> _fetching = new();

    /// <summary>How many magnets are waiting for their metadata.</summary>
    public int Count => _fetching.Count;

    public bool IsFetching(InfoHash infoHash) => _fetching.ContainsKey(infoHash);

    /// <summary>A fetch under way: the fetcher's progress and the DHT lookups made for it; null when not fetching.</summary>
    public (MetadataProgress Progress, int DhtLookups)? Search(InfoHash infoHash) =>
        _fetching.TryGetValue(infoHash, out var job) ? (job.Fetcher.Progress, job.DhtLookups) : null;

    /// <summary>Gives a fetch under way more peers to ask; false when the torrent is not being fetched.</summary>
    public bool AddPeers(InfoHash infoHash, IReadOnlyList<IPEndPoint> peers)
    {
        if (!_fetching.TryGetValue(infoHash, out var job))
        {
            return false;
        }

        job.Fetcher.AddPeers(peers);
        return true;
    }

    /// <summary>Lists a magnet whose metadata is not known yet (status downloading, no metainfo) and starts fetching it.</summary>
    public TorrentRecord Begin(Magnet magnet, string magnetText, string directory, IReadOnlyList<IPEndPoint> peers, TorrentRecord? existing)
    {
        var record = new TorrentRecord(
            magnet.InfoHash,
            magnet.Name is { Length: > 0 } name && !TorrentPaths.IsUnsafe(name, out _) ? name : magnet.InfoHash.ToString(),
            FileKind.Download,
            FileStatus.Downloading,
            directory,
            string.Empty,
            -1,
            null,
            peers,
            existing?.AddedAt ?? time.GetUtcNow(),
            null,
            magnetText);
        store.Upsert(record, ReadOnlyMemory<byte>.Empty);
        Start(record, magnet, peers);
        return store.Find(magnet.InfoHash)!;
    }

    /// <summary>Fetches again the metadata of a listed magnet (at start, or when resumed).</summary>
    /// <exception cref="InvalidOperationException">The entry has no magnet link.</exception>
    /// <exception cref="MagnetFormatException">Its link is not a usable magnet link.</exception>
    public void Resume(TorrentRecord record)
    {
        var magnet = record.Magnet ?? throw new InvalidOperationException(
            $"The torrent {record.InfoHash} has neither metadata nor a magnet link to fetch it by; get it again.");
        Start(record, MagnetLink.Parse(magnet), record.Peers);
    }

    /// <summary>Ends a torrent's fetch (paused or deleted); its entry is left as it is.</summary>
    public async Task HaltAsync(InfoHash infoHash)
    {
        if (_fetching.TryRemove(infoHash, out var job))
        {
            await job.Stop.CancelAsync();
        }
    }

    /// <summary>Ends every fetch (the node is stopping); the entries keep their links for the next start.</summary>
    public async Task StopAsync()
    {
        foreach (var job in _fetching.Values)
        {
            await job.Stop.CancelAsync();
        }

        _fetching.Clear();
    }

    private void Start(TorrentRecord record, Magnet magnet, IReadOnlyList<IPEndPoint> peers)
    {
        var client = network.Client;
        var fetcher = new MetadataFetcher(
            magnet.InfoHash,
            client.PeerId,
            client.LocalEndPoint.Port,
            network.SessionOptions().Connection,
            message => LogEngine(logger, message),
            time)
        {
            OnExternalAddress = network.SessionOptions().OnExternalAddress,
            Transport = network.SessionOptions().Transport,
        };
        var job = new Job(fetcher, new CancellationTokenSource());
        _fetching[magnet.InfoHash] = job;
        fetcher.AddPeers(peers);
        _ = FetchAsync(job, record, magnet);
    }

    // Fetches the metadata from every source at once, then hands it over to start the torrent like one added by .torrent file.
    private async Task FetchAsync(Job job, TorrentRecord record, Magnet magnet)
    {
        var stop = job.Stop.Token;
        TrackerAnnouncer? announcer = null;
        try
        {
            LogFetching(logger, record.Name, magnet.InfoHash);
            await AddDhtNodesAsync(magnet.DhtNodes, stop);
            announcer = StartTrackers(job, magnet);
            var lookups = network.Dht is null ? Task.CompletedTask : LookUpWhileFetchingAsync(job, network.Dht, magnet.InfoHash, stop);
            var info = await job.Fetcher.FetchAsync(stop);
            var metainfo = TorrentMetadata.ToTorrentFile(info, magnet.Trackers);
            // The peers that served the metadata are up and have the torrent: they are dialed first.
            var peers = job.Fetcher.SuppliedBy.Concat(record.Peers).Concat(job.Fetcher.KnownPeers).Distinct().ToList();
            lock (handOverLock)
            {
                if (!_fetching.TryRemove(magnet.InfoHash, out _))
                {
                    return; // deleted meanwhile
                }

                handOver(metainfo, record.DownloadDirectory, peers);
            }

            await job.Stop.CancelAsync();
            await lookups;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Deleted, or the node is stopping: the entry (and its magnet) stays for the next start.
        }
        catch (Exception ex) when (ex is TorrentFormatException or TorrentStorageException or IOException or UnauthorizedAccessException)
        {
            _fetching.TryRemove(magnet.InfoHash, out _);
            if (store.Find(magnet.InfoHash) is { } current)
            {
                store.Update(current with { Status = FileStatus.Failed, Error = ex.Message });
            }
        }
        finally
        {
            if (announcer is not null)
            {
                await announcer.DisposeAsync();
            }

            // job.Stop is not disposed: halting may still cancel it, and without a timer it holds nothing.
            await job.Fetcher.DisposeAsync();
        }
    }

    // Announces to the link's trackers (as a peer with nothing yet) for the peers they know.
    private TrackerAnnouncer? StartTrackers(Job job, Magnet magnet)
    {
        var tiers = magnet.Trackers
            .Select(url => Uri.TryCreate(url, UriKind.Absolute, out var uri) ? uri : null)
            .OfType<Uri>()
            .Select(uri => (IReadOnlyList<Uri>)[uri])
            .ToList();
        if (tiers.Count == 0)
        {
            return null;
        }

        var client = network.Client;
        var peerId = client.PeerId.ToArray();
        var announcer = new TrackerAnnouncer(
            new TrackerTiers(tiers, random),
            uri => TrackerClientFactory.Create(uri, network.Http, new TrackerOptions(), time),
            trackerEvent => new AnnounceRequest(magnet.InfoHash, peerId, client.LocalEndPoint.Port, 0, 0, magnet.Size ?? 1, trackerEvent),
            found => job.Fetcher.AddPeers(found),
            time,
            message => LogEngine(logger, message));
        announcer.Start();
        return announcer;
    }

    // Asks the DHT for peers at once and every 15 s until the metadata is here (peers may join late).
    private async Task LookUpWhileFetchingAsync(Job job, TorrentDht dht, InfoHash infoHash, CancellationToken stop)
    {
        try
        {
            while (!stop.IsCancellationRequested)
            {
                await dht.FindPeersAsync(infoHash, found => job.Fetcher.AddPeers(found), stop);
                job.CountLookup();
                await Task.Delay(LookUpInterval, time, stop);
            }
        }
        catch (OperationCanceledException)
        {
            // The metadata arrived, or the fetch was stopped.
        }
    }

    private async Task AddDhtNodesAsync(IReadOnlyList<DnsEndPoint> nodes, CancellationToken stop)
    {
        if (network.Dht is not { } dht)
        {
            return;
        }

        foreach (var node in nodes)
        {
            try
            {
                foreach (var endPoint in await EndPointNames.ResolveAsync(node.Host, node.Port, stop))
                {
                    dht.AddNode(endPoint);
                }
            }
            catch (SocketException ex)
            {
                // A name that does not resolve here leaves the other sources to find peers.
                LogUnresolvedDhtNode(logger, node.Host, node.Port, ex.Message);
            }
        }
    }

    private sealed record Job(MetadataFetcher Fetcher, CancellationTokenSource Stop)
    {
        private int _dhtLookups;

        public int DhtLookups => Volatile.Read(ref _dhtLookups);

        public void CountLookup() => Interlocked.Increment(ref _dhtLookups);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "The magnet's DHT node {Host}:{Port} does not resolve ({Reason}); the other sources go on")]
    private static partial void LogUnresolvedDhtNode(ILogger logger, string host, int port, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Fetching the metadata of {Name} ({InfoHash}) from peers")]
    private static partial void LogFetching(ILogger logger, string name, InfoHash infoHash);

    [LoggerMessage(Level = LogLevel.Debug, Message = "BitTorrent: {Message}")]
    private static partial void LogEngine(ILogger logger, string message);
}
