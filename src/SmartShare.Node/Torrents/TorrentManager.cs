using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SmartShare.BitTorrent;
using SmartShare.BitTorrent.Engine;
using SmartShare.BitTorrent.Metainfo;
using SmartShare.BitTorrent.PeerWire;
using SmartShare.BitTorrent.Storage;
using SmartShare.BitTorrent.Trackers;
using SmartShare.Networking;
using SmartShare.Node.Downloads;
using SmartShare.Node.Hosting;
using SmartShare.Node.Settings;

namespace SmartShare.Node.Torrents;

/// <summary>
/// The node's torrents: one <see cref="BitTorrentClient"/> on the BitTorrent port, a <see cref="TorrentSession"/> per
/// torrent, the list in SQLite so a restart resumes downloads and keeps seeding, and verified pieces recorded so a
/// restart does not fetch them again.
/// </summary>
public sealed partial class TorrentManager(
    TorrentStore store,
    NodeSettingsStore settings,
    IRandomSource random,
    TimeProvider time,
    ILogger<TorrentManager> logger) : IHostedService, IAsyncDisposable, IStatusContributor
{
    private readonly ConcurrentDictionary<InfoHash, TorrentSession> _sessions = new();
    private readonly ConcurrentDictionary<InfoHash, MetadataJob> _fetching = new();
    private readonly Lock _addLock = new();
    private BitTorrentClient? _client;
    private TorrentDht? _dht;
    private Func<TorrentSessionOptions> _sessionOptions = () => new TorrentSessionOptions();
    private ResumeStore? _resume;
    private ByteRateLimiter? _uploadLimiter;

    /// <summary>For fetching .torrent files by URL and for HTTP trackers.</summary>
    public HttpClient Http { get; } = new() { Timeout = Timeout.InfiniteTimeSpan };

    /// <summary>Options for new sessions; tests shorten time limits.</summary>
    public Action<TorrentSessionOptions>? ConfigureSessions { get; set; }

    /// <summary>The bound BitTorrent listen address (after start).</summary>
    public IPEndPoint ListenEndPoint => Client.LocalEndPoint;

    public BitTorrentClient Client => _client ?? throw new InvalidOperationException("The BitTorrent side has not started.");

    /// <summary>The Mainline DHT's UDP endpoint, or null when the DHT is off (bt_dht false).</summary>
    public IPEndPoint? DhtEndPoint => _dht?.LocalEndPoint;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var current = settings.Current;
        _resume = ResumeStore.Open(store.DatabasePath, time);
        _uploadLimiter = new ByteRateLimiter(() => (long)settings.Current.MaxUploadKibPerSecond * 1024, time);
        _sessionOptions = () => new TorrentSessionOptions
        {
            UploadLimiter = _uploadLimiter,
            Connection = new PeerConnectionOptions { Encryption = EncryptionModeOf(current.BtEncryption) },
            DhtPort = _dht?.LocalEndPoint.Port,
            OnDhtNode = endPoint => _dht?.AddNode(endPoint),
        };
        var bootstrap = current.BtDht
            ? await NodeHost.ResolveEndPointsAsync(current.BtBootstrap, NodeSettingKeys.BtBootstrap, cancellationToken)
            : [];

        // With port 0 the TCP listener picks a free number, which the DHT then needs on UDP too: when another program
        // holds that number on UDP, take another rather than fail the start.
        for (var attempt = 1; ; attempt++)
        {
            var client = await StartClientAsync(current);
            if (!current.BtDht)
            {
                _client = client;
                break;
            }

            var dhtEndPoint = new IPEndPoint(client.LocalEndPoint.Address, client.LocalEndPoint.Port);
            try
            {
                _dht = TorrentDht.Start(dhtEndPoint, bootstrap, current.AllowLan, store.DatabasePath, time, random, logger);
                _client = client;
                break;
            }
            catch (SocketException) when (current.BtPort == 0 && attempt < 10)
            {
                await client.DisposeAsync();
            }
            catch (SocketException ex)
            {
                await client.DisposeAsync();
                throw new NodeStartException(
                    $"Cannot listen on UDP {dhtEndPoint} for the Mainline DHT: {ex.Message}. Is another client running? Choose another port with --bt-port, or turn the DHT off with --no-bt-dht.", ex);
            }
        }

        LogListening(logger, _client.LocalEndPoint);
        foreach (var record in store.List().Where(r => r.Status is FileStatus.Downloading or FileStatus.Completed))
        {
            try
            {
                var metainfo = store.LoadMetainfo(record.InfoHash);
                if (metainfo is null)
                {
                    if (record.Magnet is { } magnet && record.Status == FileStatus.Downloading)
                    {
                        StartFetch(record, MagnetLink.Parse(magnet), record.Peers);
                    }

                    continue;
                }

                var torrent = TorrentParser.Parse(metainfo);
                StartSession(torrent, record, record.Peers, verified: null);
            }
            catch (Exception ex) when (ex is TorrentFormatException or MagnetFormatException or TorrentStorageException or IOException or UnauthorizedAccessException)
            {
                store.Update(record with { Status = FileStatus.Failed, Error = ex.Message });
            }
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // Stopping the node keeps each torrent's status, so the next start resumes or seeds it again.
        foreach (var session in _sessions.Values)
        {
            session.StateChanged -= OnStateChanged;
        }

        foreach (var job in _fetching.Values)
        {
            await job.Stop.CancelAsync();
        }

        _fetching.Clear();
        if (_client is not null)
        {
            await _client.DisposeAsync();
        }

        if (_dht is not null)
        {
            await _dht.DisposeAsync();
        }

        foreach (var session in _sessions.Values)
        {
            session.Storage.Dispose();
        }

        _sessions.Clear();
        Http.Dispose();
    }

    public async ValueTask DisposeAsync() => await StopAsync(CancellationToken.None);

    public string Section => "bittorrent";

    public JsonNode? Describe()
    {
        var sessions = _sessions.Values.ToList();
        return new JsonObject
        {
            ["port"] = _client?.LocalEndPoint.Port,
            ["peer_id"] = _client?.PeerId.ToString(),
            ["torrents"] = sessions.Count,
            ["downloading"] = sessions.Count(s => s.State is TorrentState.Downloading or TorrentState.Checking),
            ["seeding"] = sessions.Count(s => s.State == TorrentState.Seeding),
            ["peers"] = sessions.Sum(s => s.Progress.Peers),
            ["fetching_metadata"] = _fetching.Count,
            ["encryption"] = settings.Current.BtEncryption,
            ["dht"] = _dht?.Describe(),
        };
    }

    public TorrentSession? Session(InfoHash infoHash) => _sessions.GetValueOrDefault(infoHash);

    public TorrentRecord? Find(InfoHash infoHash) => store.Find(infoHash);

    public IReadOnlyList<TorrentRecord> List() => store.List();

    /// <summary>
    /// Starts downloading a torrent into <paramref name="downloadDirectory"/> (the setting when null), or returns the
    /// session already running for it.
    /// </summary>
    /// <exception cref="TorrentFormatException">The metainfo is not a valid torrent.</exception>
    public TorrentSession Add(ReadOnlyMemory<byte> metainfo, string? downloadDirectory, IEnumerable<IPEndPoint> peers)
    {
        var torrent = TorrentParser.Parse(metainfo);
        var peerList = peers.ToList();
        lock (_addLock)
        {
            if (_sessions.TryGetValue(torrent.InfoHash, out var running))
            {
                running.AddPeers(peerList, retryNow: true);
                return running;
            }

            var existing = store.Find(torrent.InfoHash);
            var directory = Path.GetFullPath(downloadDirectory ?? existing?.DownloadDirectory ?? settings.Current.DownloadDirectory);
            var rootName = existing is not null && existing.DownloadDirectory == directory && !existing.AwaitingMetadata
                ? existing.RootName
                : FreeRootName(directory, torrent.Info.Name);
            var record = new TorrentRecord(
                torrent.InfoHash,
                torrent.Info.Name,
                existing?.Kind ?? FileKind.Download,
                FileStatus.Downloading,
                directory,
                rootName,
                torrent.Info.TotalLength,
                null,
                peerList,
                existing?.AddedAt ?? time.GetUtcNow(),
                null,
                existing?.Magnet);
            Directory.CreateDirectory(directory);
            store.Upsert(record, metainfo);
            return StartSession(torrent, record, peerList, verified: null);
        }
    }

    /// <summary>
    /// Starts downloading the torrent a magnet link names: its metadata (the info dictionary) is fetched from peers
    /// (the link's x.pe, <paramref name="peers"/>, its trackers and the DHT) and checked against the info hash, then
    /// the download goes on like any torrent's. Returns the torrent's entry at once; a torrent already known is
    /// given the peers instead.
    /// </summary>
    /// <exception cref="MagnetFormatException">The text is not a usable magnet link.</exception>
    public TorrentRecord AddMagnet(string magnetText, string? downloadDirectory, IEnumerable<IPEndPoint> peers)
    {
        var magnet = MagnetLink.Parse(magnetText);
        var peerList = magnet.Peers.Concat(peers).Distinct().ToList();
        lock (_addLock)
        {
            if (_sessions.TryGetValue(magnet.InfoHash, out var running))
            {
                running.AddPeers(peerList, retryNow: true);
                return store.Find(magnet.InfoHash)!;
            }

            if (_fetching.TryGetValue(magnet.InfoHash, out var job))
            {
                job.Fetcher.AddPeers(peerList);
                return store.Find(magnet.InfoHash)!;
            }

            var existing = store.Find(magnet.InfoHash);
            if (existing is not null && store.LoadMetainfo(magnet.InfoHash) is { } metainfo)
            {
                Add(metainfo, downloadDirectory, peerList);
                return store.Find(magnet.InfoHash)!;
            }

            var directory = Path.GetFullPath(downloadDirectory ?? existing?.DownloadDirectory ?? settings.Current.DownloadDirectory);
            var record = new TorrentRecord(
                magnet.InfoHash,
                magnet.Name is { Length: > 0 } name && !TorrentPaths.IsUnsafe(name, out _) ? name : magnet.InfoHash.ToString(),
                FileKind.Download,
                FileStatus.Downloading,
                directory,
                string.Empty,
                -1,
                null,
                peerList,
                existing?.AddedAt ?? time.GetUtcNow(),
                null,
                magnetText);
            store.Upsert(record, ReadOnlyMemory<byte>.Empty);
            StartFetch(record, magnet, peerList);
            return store.Find(magnet.InfoHash)!;
        }
    }

    /// <summary>Makes a torrent of a file or folder and seeds it from where it is.</summary>
    public async Task<(byte[] Metainfo, Torrent Torrent, TorrentSession Session)> ShareAsync(string path, string? tracker, CancellationToken cancellationToken)
    {
        var full = Path.GetFullPath(Path.TrimEndingDirectorySeparator(path));
        var (bytes, torrent) = await Task.Run(() => TorrentCreator.Create(full, announce: tracker, cancellationToken: cancellationToken), cancellationToken);
        var verified = new Bitfield(torrent.Info.PieceCount);
        verified.SetAll();
        lock (_addLock)
        {
            if (_sessions.TryGetValue(torrent.InfoHash, out var running))
            {
                return (bytes, torrent, running);
            }

            var record = new TorrentRecord(
                torrent.InfoHash,
                torrent.Info.Name,
                FileKind.Share,
                FileStatus.Completed,
                Path.GetDirectoryName(full)!,
                Path.GetFileName(full),
                torrent.Info.TotalLength,
                null,
                [],
                time.GetUtcNow(),
                time.GetUtcNow());
            store.Upsert(record, bytes);
            return (bytes, torrent, StartSession(torrent, record, [], verified));
        }
    }

    /// <summary>
    /// Stops a torrent's transfer (download or seeding, or a magnet's metadata fetch) and keeps it listed as stopped;
    /// its verified pieces are recorded, so <see cref="Resume"/> fetches only the rest.
    /// </summary>
    /// <returns>False when no such torrent is listed.</returns>
    public async Task<bool> PauseAsync(InfoHash infoHash)
    {
        var record = store.Find(infoHash);
        if (record is null)
        {
            return false;
        }

        await HaltAsync(infoHash);

        store.Update(record with { Status = FileStatus.Stopped, Error = null });
        return true;
    }

    /// <summary>Starts a stopped or failed torrent again (re-checking what it had); a running one is left as it is.</summary>
    /// <returns>False when no such torrent is listed.</returns>
    public bool Resume(InfoHash infoHash)
    {
        lock (_addLock)
        {
            var record = store.Find(infoHash);
            if (record is null)
            {
                return false;
            }

            if (_sessions.ContainsKey(infoHash) || _fetching.ContainsKey(infoHash))
            {
                return true;
            }

            var resumed = record with { Status = FileStatus.Downloading, Error = null };
            var metainfo = store.LoadMetainfo(infoHash);
            if (metainfo is null)
            {
                if (record.Magnet is not { } magnet)
                {
                    throw new InvalidOperationException($"The torrent {infoHash} has neither metadata nor a magnet link to fetch it by; get it again.");
                }

                store.Update(resumed);
                StartFetch(resumed, MagnetLink.Parse(magnet), record.Peers);
                return true;
            }

            // Back to downloading until the check finds every piece, when it seeds again (and keeps its completion time).
            store.Update(resumed);
            StartSession(TorrentParser.Parse(metainfo), resumed, record.Peers, verified: null);
            return true;
        }
    }

    /// <summary>Stops a torrent and removes it from the list; its files stay unless <paramref name="deleteFiles"/>.</summary>
    public async Task<bool> DeleteAsync(InfoHash infoHash, bool deleteFiles)
    {
        var record = store.Find(infoHash);
        await HaltAsync(infoHash);

        _resume?.Delete(infoHash);
        var removed = store.Delete(infoHash);
        if (deleteFiles && record is not null && record.Kind == FileKind.Download && !record.AwaitingMetadata)
        {
            var root = Path.Combine(record.DownloadDirectory, record.RootName);
            if (File.Exists(root))
            {
                File.Delete(root);
            }
            else if (Directory.Exists(root))
            {
                Directory.Delete(root, recursive: true);
            }
        }

        return removed || record is not null;
    }

    // Ends whatever runs for a torrent (its metadata fetch, DHT lookups, session), recording its verified pieces.
    private async Task HaltAsync(InfoHash infoHash)
    {
        if (_fetching.TryRemove(infoHash, out var job))
        {
            await job.Stop.CancelAsync();
        }

        _dht?.Untrack(infoHash);
        if (_sessions.TryRemove(infoHash, out var session))
        {
            session.StateChanged -= OnStateChanged;
            await Client.RemoveAsync(infoHash);
            session.Storage.Dispose();
        }
    }

    private async Task<BitTorrentClient> StartClientAsync(NodeSettings current)
    {
        var client = new BitTorrentClient(
            new BitTorrentClientOptions
            {
                ListenEndPoint = new IPEndPoint(IPAddress.Parse(current.BindAddress), current.BtPort),
                SessionOptions = _sessionOptions,
                Log = message => LogEngine(logger, message),
                Http = Http,
            },
            random,
            time);
        try
        {
            client.Start();
            return client;
        }
        catch (SocketException ex)
        {
            await client.DisposeAsync();
            throw new NodeStartException(
                $"Cannot listen on TCP {current.BindAddress}:{current.BtPort} for BitTorrent peers: {ex.Message}. Is another client running? Choose another port with --bt-port or the 'bt_port' setting.", ex);
        }
    }

    private TorrentSession StartSession(Torrent torrent, TorrentRecord record, IReadOnlyList<IPEndPoint> peers, Bitfield? verified)
    {
        var storage = new TorrentStorage(torrent.Info, record.DownloadDirectory, record.RootName);
        var session = Client.Add(torrent, storage, _resume, ConfigureSessions);
        _sessions[torrent.InfoHash] = session;
        session.StateChanged += OnStateChanged;
        _ = RunAsync(session, peers, verified);
        if (_dht is not null && !torrent.Info.IsPrivate)
        {
            _dht.Track(
                torrent.InfoHash,
                Client.LocalEndPoint.Port,
                found => session.AddPeers(found),
                () => session.State is TorrentState.Downloading or TorrentState.Checking && session.Progress.Peers < 8);
        }

        return session;
    }

    private void StartFetch(TorrentRecord record, Magnet magnet, IReadOnlyList<IPEndPoint> peers)
    {
        var fetcher = new MetadataFetcher(
            magnet.InfoHash,
            Client.PeerId,
            Client.LocalEndPoint.Port,
            _sessionOptions().Connection,
            message => LogEngine(logger, message),
            time);
        var job = new MetadataJob(fetcher, new CancellationTokenSource());
        _fetching[magnet.InfoHash] = job;
        fetcher.AddPeers(peers);
        _ = FetchAsync(job, record, magnet);
    }

    // Fetches the metadata from every source at once, then starts the torrent like one added by .torrent file.
    private async Task FetchAsync(MetadataJob job, TorrentRecord record, Magnet magnet)
    {
        var stop = job.Stop.Token;
        TrackerAnnouncer? announcer = null;
        try
        {
            LogFetching(logger, record.Name, magnet.InfoHash);
            await AddDhtNodesAsync(magnet.DhtNodes, stop);
            var tiers = magnet.Trackers
                .Select(url => Uri.TryCreate(url, UriKind.Absolute, out var uri) ? uri : null)
                .OfType<Uri>()
                .Select(uri => (IReadOnlyList<Uri>)[uri])
                .ToList();
            if (tiers.Count > 0)
            {
                var peerId = Client.PeerId.ToArray();
                announcer = new TrackerAnnouncer(
                    new TrackerTiers(tiers, random),
                    uri => TrackerClientFactory.Create(uri, Http, new TrackerOptions(), time),
                    trackerEvent => new AnnounceRequest(magnet.InfoHash, peerId, Client.LocalEndPoint.Port, 0, 0, magnet.Size ?? 1, trackerEvent),
                    found => job.Fetcher.AddPeers(found),
                    time,
                    message => LogEngine(logger, message));
                announcer.Start();
            }

            var lookups = _dht is null ? Task.CompletedTask : LookUpWhileFetchingAsync(job, magnet.InfoHash, stop);
            var info = await job.Fetcher.FetchAsync(stop);
            var metainfo = TorrentMetadata.ToTorrentFile(info, magnet.Trackers);
            // The peers that served the metadata are up and have the torrent: they are dialed first.
            var peers = job.Fetcher.SuppliedBy.Concat(record.Peers).Concat(job.Fetcher.KnownPeers).Distinct().ToList();
            lock (_addLock)
            {
                if (!_fetching.TryRemove(magnet.InfoHash, out _))
                {
                    return; // deleted meanwhile
                }

                Add(metainfo, record.DownloadDirectory, peers);
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

            // job.Stop is not disposed: Stop and Delete may still cancel it, and without a timer it holds nothing.
            await job.Fetcher.DisposeAsync();
        }
    }

    // Asks the DHT for peers at once and every 15 s until the metadata is here (peers may join late).
    private async Task LookUpWhileFetchingAsync(MetadataJob job, InfoHash infoHash, CancellationToken stop)
    {
        try
        {
            while (!stop.IsCancellationRequested)
            {
                await _dht!.FindPeersAsync(infoHash, found => job.Fetcher.AddPeers(found), stop);
                await Task.Delay(TimeSpan.FromSeconds(15), time, stop);
            }
        }
        catch (OperationCanceledException)
        {
            // The metadata arrived, or the fetch was stopped.
        }
    }

    private async Task AddDhtNodesAsync(IReadOnlyList<DnsEndPoint> nodes, CancellationToken stop)
    {
        if (_dht is null)
        {
            return;
        }

        foreach (var node in nodes)
        {
            try
            {
                foreach (var endPoint in await NodeHost.ResolveAsync(node.Host, node.Port, stop))
                {
                    _dht.AddNode(endPoint);
                }
            }
            catch (SocketException ex)
            {
                // A name that does not resolve here leaves the other sources to find peers.
                LogUnresolvedDhtNode(logger, node.Host, node.Port, ex.Message);
            }
        }
    }

    internal static EncryptionMode EncryptionModeOf(string setting) => setting switch
    {
        "require" => EncryptionMode.Require,
        "disable" => EncryptionMode.Disable,
        _ => EncryptionMode.Prefer,
    };

    private sealed record MetadataJob(MetadataFetcher Fetcher, CancellationTokenSource Stop);

    private async Task RunAsync(TorrentSession session, IReadOnlyList<IPEndPoint> peers, Bitfield? verified)
    {
        try
        {
            await session.StartAsync(CancellationToken.None, verified);
            session.AddPeers(peers, retryNow: true);
        }
        catch (Exception ex) when (ex is TorrentStorageException or IOException or UnauthorizedAccessException or ObjectDisposedException)
        {
            if (store.Find(session.InfoHash) is { } record)
            {
                store.Update(record with { Status = FileStatus.Stopped, Error = ex.Message });
            }
        }
    }

    private void OnStateChanged(TorrentSession session)
    {
        if (store.Find(session.InfoHash) is not { } record)
        {
            return;
        }

        var progress = session.Progress;
        switch (session.State)
        {
            case TorrentState.Seeding when record.Status != FileStatus.Completed:
                store.Update(record with { Status = FileStatus.Completed, Error = null, CompletedAt = record.CompletedAt ?? time.GetUtcNow() });
                LogCompleted(logger, record.Name, session.InfoHash);
                break;
            case TorrentState.Downloading when record.Status == FileStatus.Completed:
                // A piece went bad on disk: it is being fetched again.
                store.Update(record with { Status = FileStatus.Downloading, CompletedAt = null });
                break;
            case TorrentState.Stopped when progress.Error is { } error:
                store.Update(record with { Status = FileStatus.Stopped, Error = error });
                break;
        }
    }

    // The torrent's top entry goes to a name not yet taken, so nothing of the user's is overwritten or mixed in.
    private static string FreeRootName(string directory, string name)
    {
        if (!File.Exists(Path.Combine(directory, name)) && !Directory.Exists(Path.Combine(directory, name)))
        {
            return name;
        }

        var stem = Path.GetFileNameWithoutExtension(name);
        var extension = Path.GetExtension(name);
        for (var n = 1; ; n++)
        {
            var candidate = $"{stem} ({n}){extension}";
            if (!File.Exists(Path.Combine(directory, candidate)) && !Directory.Exists(Path.Combine(directory, candidate)))
            {
                return candidate;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "BitTorrent peers on TCP {EndPoint}")]
    private static partial void LogListening(ILogger logger, IPEndPoint endPoint);

    [LoggerMessage(Level = LogLevel.Information, Message = "The magnet's DHT node {Host}:{Port} does not resolve ({Reason}); the other sources go on")]
    private static partial void LogUnresolvedDhtNode(ILogger logger, string host, int port, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Fetching the metadata of {Name} ({InfoHash}) from peers")]
    private static partial void LogFetching(ILogger logger, string name, InfoHash infoHash);

    [LoggerMessage(Level = LogLevel.Information, Message = "Torrent {Name} ({InfoHash}) complete; seeding")]
    private static partial void LogCompleted(ILogger logger, string name, InfoHash infoHash);

    [LoggerMessage(Level = LogLevel.Debug, Message = "BitTorrent: {Message}")]
    private static partial void LogEngine(ILogger logger, string message);
}
