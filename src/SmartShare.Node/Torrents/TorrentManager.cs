using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SmartShare.BitTorrent;
using SmartShare.BitTorrent.Engine;
using SmartShare.BitTorrent.Metainfo;
using SmartShare.BitTorrent.Storage;
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
    private readonly Lock _addLock = new();
    private BitTorrentClient? _client;
    private ResumeStore? _resume;
    private ByteRateLimiter? _uploadLimiter;

    /// <summary>For fetching .torrent files by URL and for HTTP trackers.</summary>
    public HttpClient Http { get; } = new() { Timeout = Timeout.InfiniteTimeSpan };

    /// <summary>Options for new sessions; tests shorten time limits.</summary>
    public Action<TorrentSessionOptions>? ConfigureSessions { get; set; }

    /// <summary>The bound BitTorrent listen address (after start).</summary>
    public IPEndPoint ListenEndPoint => Client.LocalEndPoint;

    public BitTorrentClient Client => _client ?? throw new InvalidOperationException("The BitTorrent side has not started.");

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var current = settings.Current;
        _resume = ResumeStore.Open(store.DatabasePath);
        _uploadLimiter = new ByteRateLimiter(() => (long)settings.Current.MaxUploadKibPerSecond * 1024, time);
        var client = new BitTorrentClient(
            new BitTorrentClientOptions
            {
                ListenEndPoint = new IPEndPoint(IPAddress.Parse(current.BindAddress), current.BtPort),
                SessionOptions = () => new TorrentSessionOptions { UploadLimiter = _uploadLimiter },
                Log = message => LogEngine(logger, message),
                Http = Http,
            },
            random);
        try
        {
            client.Start();
        }
        catch (SocketException ex)
        {
            await client.DisposeAsync();
            throw new NodeStartException(
                $"Cannot listen on TCP {current.BindAddress}:{current.BtPort} for BitTorrent peers: {ex.Message}. Is another client running? Choose another port with --bt-port or the 'bt_port' setting.", ex);
        }

        _client = client;
        LogListening(logger, client.LocalEndPoint);
        foreach (var record in store.List().Where(r => r.Status is FileStatus.Downloading or FileStatus.Completed))
        {
            try
            {
                var metainfo = store.LoadMetainfo(record.InfoHash);
                if (metainfo is null)
                {
                    continue;
                }

                var torrent = TorrentParser.Parse(metainfo);
                StartSession(torrent, record, record.Peers, verified: null);
            }
            catch (Exception ex) when (ex is TorrentFormatException or TorrentStorageException or IOException or UnauthorizedAccessException)
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

        if (_client is not null)
        {
            await _client.DisposeAsync();
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
            var rootName = existing is not null && existing.DownloadDirectory == directory
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
                null);
            Directory.CreateDirectory(directory);
            store.Upsert(record, metainfo);
            return StartSession(torrent, record, peerList, verified: null);
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

    /// <summary>Stops a torrent and removes it from the list; its files stay unless <paramref name="deleteFiles"/>.</summary>
    public async Task<bool> DeleteAsync(InfoHash infoHash, bool deleteFiles)
    {
        var record = store.Find(infoHash);
        if (_sessions.TryRemove(infoHash, out var session))
        {
            session.StateChanged -= OnStateChanged;
            await Client.RemoveAsync(infoHash);
            session.Storage.Dispose();
        }

        _resume?.Delete(infoHash);
        var removed = store.Delete(infoHash);
        if (deleteFiles && record is not null && record.Kind == FileKind.Download)
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

    private TorrentSession StartSession(Torrent torrent, TorrentRecord record, IReadOnlyList<IPEndPoint> peers, Bitfield? verified)
    {
        var storage = new TorrentStorage(torrent.Info, record.DownloadDirectory, record.RootName);
        var session = Client.Add(torrent, storage, _resume, ConfigureSessions);
        _sessions[torrent.InfoHash] = session;
        session.StateChanged += OnStateChanged;
        _ = RunAsync(session, peers, verified);
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
                store.Update(record with { Status = FileStatus.Completed, Error = null, CompletedAt = time.GetUtcNow() });
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Torrent {Name} ({InfoHash}) complete; seeding")]
    private static partial void LogCompleted(ILogger logger, string name, InfoHash infoHash);

    [LoggerMessage(Level = LogLevel.Debug, Message = "BitTorrent: {Message}")]
    private static partial void LogEngine(ILogger logger, string message);
}
