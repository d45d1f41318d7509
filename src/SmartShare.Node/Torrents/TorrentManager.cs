using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SmartShare.BitTorrent;
using SmartShare.BitTorrent.Engine;
using SmartShare.BitTorrent.Metainfo;
using SmartShare.BitTorrent.Storage;
using SmartShare.Node.Downloads;
using SmartShare.Node.Hosting;
using SmartShare.Node.Networks;
using SmartShare.Node.Settings;

namespace SmartShare.Node.Torrents;

/// <summary>
/// The node's torrents: a <see cref="TorrentSession"/> per torrent in the <see cref="BitTorrentNetwork"/>'s client,
/// the list in SQLite so a restart resumes downloads and keeps seeding, and verified pieces recorded so a restart
/// does not fetch them again. A magnet's metadata phase runs in <see cref="MagnetMetadataPhase"/>, which hands the
/// metainfo back here.
/// </summary>
public sealed partial class TorrentManager(
    TorrentStore store,
    BitTorrentNetwork network,
    NodeSettingsStore settings,
    NodeRuntime runtime,
    Limits.BandwidthLimits limits,
    LocalDiscovery.LocalPeerDiscovery localDiscovery,
    IRandomSource random,
    TimeProvider time,
    ILogger<TorrentManager> logger) : IHostedService, IAsyncDisposable, IStatusContributor
{
    private readonly ConcurrentDictionary<InfoHash, TorrentSession> _sessions = new();
    private readonly ConcurrentDictionary<InfoHash, TaskCompletionSource<TorrentSession>> _sessionWaiters = new();
    private readonly Lock _addLock = new();
    private MagnetMetadataPhase? _magnets;
    private ResumeStore? _resume;

    private MagnetMetadataPhase Magnets => _magnets ?? throw new InvalidOperationException("The torrents have not been started.");

    /// <summary>For fetching .torrent files by URL and for HTTP trackers.</summary>
    public HttpClient Http => network.Http;

    /// <summary>Options for new sessions; tests shorten time limits.</summary>
    public Action<TorrentSessionOptions>? ConfigureSessions { get; set; }

    /// <summary>The bound BitTorrent listen address (after start).</summary>
    public IPEndPoint ListenEndPoint => Client.LocalEndPoint;

    public BitTorrentClient Client => network.Client;

    /// <summary>The Mainline DHT's UDP endpoint, or null when the DHT is off (bt_dht false).</summary>
    public IPEndPoint? DhtEndPoint => network.Dht?.LocalEndPoint;

    /// <summary>Resumes the listed torrents (the network is started before): sessions, and magnets still fetching their metadata.</summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _resume = ResumeStore.Open(store.DatabasePath, time);
        _magnets = new MagnetMetadataPhase(store, network, random, time, logger, _addLock, (metainfo, directory, peers) => Add(metainfo, directory, peers));
        // A node run for one CLI command (list, share) neither resumes nor re-checks what the next real start will.
        foreach (var record in store.List().Where(r => !runtime.Transient && r.Status is FileStatus.Downloading or FileStatus.Completed))
        {
            try
            {
                var metainfo = store.LoadMetainfo(record.InfoHash);
                if (metainfo is null)
                {
                    if (record.Magnet is not null && record.Status == FileStatus.Downloading)
                    {
                        Magnets.Resume(record);
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

        return Task.CompletedTask;
    }

    /// <summary>Stops every session and metadata fetch before the network closes; each torrent keeps its status, so the next start resumes or seeds it again.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_magnets is not null)
        {
            await _magnets.StopAsync();
        }

        // Each session's DHT tracking ends with it, so no lookup hands peers to a closed session while the network stops.
        foreach (var infoHash in _sessions.Keys)
        {
            await HaltAsync(infoHash);
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync(CancellationToken.None);

    public string Section => "bittorrent";

    public JsonNode? Describe()
    {
        var sessions = _sessions.Values.ToList();
        var own = network.Describe();
        return new JsonObject
        {
            ["port"] = own?["port"]?.DeepClone(),
            ["peer_id"] = own?["peer_id"]?.DeepClone(),
            ["torrents"] = sessions.Count,
            ["downloading"] = sessions.Count(s => s.State is TorrentState.Downloading or TorrentState.Checking),
            ["seeding"] = sessions.Count(s => s.State == TorrentState.Seeding),
            ["peers"] = sessions.Sum(s => s.Progress.Peers),
            ["fetching_metadata"] = _magnets?.Count ?? 0,
            ["encryption"] = settings.Current.BtEncryption,
            ["dht"] = own?["dht"]?.DeepClone(),
        };
    }

    public TorrentSession? Session(InfoHash infoHash) => _sessions.GetValueOrDefault(infoHash);

    /// <summary>
    /// The torrent's session, waiting for it to start if it has none yet (a magnet whose metadata is on its way: a
    /// player clicked at once). Ends with <see cref="OperationCanceledException"/> when the token ends first or the
    /// torrent is halted meanwhile.
    /// </summary>
    public async Task<TorrentSession> WaitForSessionAsync(InfoHash infoHash, CancellationToken cancellationToken)
    {
        var waiter = _sessionWaiters.GetOrAdd(infoHash, _ => new TaskCompletionSource<TorrentSession>(TaskCreationOptions.RunContinuationsAsynchronously));
        // The session is stored before its waiters are told: seen here, or this waiter is told.
        if (Session(infoHash) is { } running)
        {
            return running;
        }

        return await waiter.Task.WaitAsync(cancellationToken);
    }

    public TorrentRecord? Find(InfoHash infoHash) => store.Find(infoHash);

    /// <summary>A magnet's metadata fetch under way (progress and DHT lookups made), or null.</summary>
    public (MetadataProgress Progress, int DhtLookups)? MetadataSearch(InfoHash infoHash) => _magnets?.Search(infoHash);

    /// <summary>The files a torrent's stored metainfo names (for a torrent with no session); null while a magnet has none.</summary>
    public IReadOnlyList<TorrentFile>? StoredFiles(InfoHash infoHash) =>
        store.LoadMetainfo(infoHash) is { } metainfo ? TorrentParser.Parse(metainfo).Info.Files : null;

    /// <summary>A torrent's stored metainfo, parsed (for a torrent with no session); null while a magnet has none.</summary>
    /// <exception cref="TorrentFormatException">The stored metainfo no longer parses.</exception>
    /// <summary>
    /// The pieces a torrent that runs no session held when it last ran (its resume record), or null when none was
    /// recorded; for showing a paused download's progress.
    /// </summary>
    public Bitfield? StoredPieces(InfoHash infoHash, int pieceCount) => _resume?.Load(infoHash, pieceCount);

    public Torrent? StoredTorrent(InfoHash infoHash) =>
        store.LoadMetainfo(infoHash) is { } metainfo ? TorrentParser.Parse(metainfo) : null;

    public IReadOnlyList<TorrentRecord> List() => store.List();

    /// <summary>
    /// Starts downloading a torrent into <paramref name="downloadDirectory"/> (the setting when null), or returns the
    /// session already running for it.
    /// </summary>
    /// <exception cref="TorrentFormatException">The metainfo is not a valid torrent.</exception>
    public TorrentSession Add(ReadOnlyMemory<byte> metainfo, string? downloadDirectory, IEnumerable<IPEndPoint> peers) =>
        Add(TorrentParser.Parse(metainfo), metainfo, downloadDirectory, peers);

    /// <summary>As <see cref="Add(ReadOnlyMemory{byte}, string?, IEnumerable{IPEndPoint})"/>, for metainfo the caller has parsed already.</summary>
    public TorrentSession Add(Torrent torrent, ReadOnlyMemory<byte> metainfo, string? downloadDirectory, IEnumerable<IPEndPoint> peers)
    {
        ArgumentNullException.ThrowIfNull(torrent);
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

            if (Magnets.AddPeers(magnet.InfoHash, peerList))
            {
                return store.Find(magnet.InfoHash)!;
            }

            var existing = store.Find(magnet.InfoHash);
            if (existing is not null && store.LoadMetainfo(magnet.InfoHash) is { } metainfo)
            {
                Add(metainfo, downloadDirectory, peerList);
                return store.Find(magnet.InfoHash)!;
            }

            var directory = Path.GetFullPath(downloadDirectory ?? existing?.DownloadDirectory ?? settings.Current.DownloadDirectory);
            return Magnets.Begin(magnet, magnetText, directory, peerList, existing);
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

    private TorrentSession StartSession(Torrent torrent, TorrentRecord record, IReadOnlyList<IPEndPoint> peers, Bitfield? verified)
    {
        // A share is seeded in place and never renamed; a download's files carry the incomplete suffix until done.
        var storage = new TorrentStorage(torrent.Info, record.DownloadDirectory, record.RootName, incompleteNames: record.Kind != FileKind.Share);
        var limiters = limits.For(Transfers.TransferKey.Of(torrent.InfoHash));
        var selection = StartingSelection(torrent.InfoHash, torrent.Info.Files.Count);
        var session = Client.Add(torrent, storage, _resume, options =>
        {
            options.UploadLimiter = limiters.Upload;
            options.DownloadLimiter = limiters.Download;
            ConfigureSessions?.Invoke(options);
            options.Files = selection;
        });
        _sessions[torrent.InfoHash] = session;
        if (_sessionWaiters.TryRemove(torrent.InfoHash, out var waiter))
        {
            waiter.TrySetResult(session);
        }

        session.StateChanged += OnStateChanged;
        _ = RunAsync(session, peers, verified);
        if (network.Dht is { } dht && !torrent.Info.IsPrivate)
        {
            dht.Track(
                torrent.InfoHash,
                Client.LocalEndPoint.Port,
                found => session.AddPeers(found),
                () => session.State is TorrentState.Downloading or TorrentState.Checking && session.Progress.Peers < 8);
        }

        localDiscovery.Track(torrent.InfoHash, torrent.Info.IsPrivate, Client.LocalEndPoint.Port, found => session.AddPeers(found, retryNow: true));

        return session;
    }

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

    private async Task ReleaseEndedAsync(TorrentSession session)
    {
        try
        {
            if (_sessions.TryGetValue(session.InfoHash, out var current) && ReferenceEquals(current, session))
            {
                await HaltAsync(session.InfoHash);
            }
        }
        catch (Exception ex) when (ex is ObjectDisposedException or IOException or InvalidOperationException)
        {
            // The node is stopping; the session ends with it.
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

                // A session ended by an error is over: let it go, so a start (the user's, or DiskFullResumer's once a
                // full disk has room) runs a new one instead of finding this one "running".
                _ = Task.Run(() => ReleaseEndedAsync(session));
                break;
        }
    }

    // The torrent's top entry goes to a name not yet taken, so nothing of the user's is overwritten or mixed in.
    // (a single file's incomplete name included).
    private static string FreeRootName(string directory, string name)
    {
        static bool Free(string directory, string name) =>
            !Path.Exists(Path.Combine(directory, name)) && !Path.Exists(Path.Combine(directory, name + TorrentStorage.IncompleteSuffix));

        if (Free(directory, name))
        {
            return name;
        }

        var stem = Path.GetFileNameWithoutExtension(name);
        var extension = Path.GetExtension(name);
        for (var n = 1; ; n++)
        {
            var candidate = $"{stem} ({n}){extension}";
            if (Free(directory, candidate))
            {
                return candidate;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Torrent {Name} ({InfoHash}) complete; seeding")]
    private static partial void LogCompleted(ILogger logger, string name, InfoHash infoHash);
}
