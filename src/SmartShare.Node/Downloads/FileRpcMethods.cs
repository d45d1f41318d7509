using System.Net;
using System.Text.Json.Nodes;
using SmartShare.BitTorrent;
using SmartShare.BitTorrent.Metainfo;
using SmartShare.BitTorrent.Storage;
using SmartShare.IO;
using SmartShare.Lbry;
using SmartShare.Lbry.Blobs;
using SmartShare.Lbry.Dht;
using SmartShare.Lbry.Streams;
using SmartShare.Node.Api;
using SmartShare.Node.Hosting;
using SmartShare.Node.Shares;
using SmartShare.Node.Torrents;
using SmartShare.Storage;
using SmartShare.Threading;

namespace SmartShare.Node.Downloads;

/// <summary><c>get</c>, <c>stream_create</c>, <c>file_list</c> and <c>file_delete</c>: the node's files.</summary>
internal sealed class FileRpcMethods(
    DownloadManager downloads, TorrentManager torrents, NodeRuntime runtime, LbryStorage storage, LbryDhtService dht, TimeProvider time) : IRpcMethodProvider
{
    private const int DefaultGetTimeoutSeconds = 60;

    public void Register(JsonRpcMethods methods)
    {
        ArgumentNullException.ThrowIfNull(methods);
        methods.Add(
            "get",
            "Downloads a stream or a torrent ({\"uri\": sd hash, smartshare: link, .smartshare file path, magnet link, .torrent file path or http(s) URL of one, \"download_directory\"?, \"peers\"?: [\"ip:port\"], \"timeout\"?: seconds to wait for the descriptor, \"bittorrent\"?: false (for a share: use its torrent form)}); answers once it is under way.",
            GetAsync);
        methods.Add(
            "stream_create",
            "Shares a file ({\"file_path\", \"private\"?, \"advertise\"?: [\"host[:port]\"], \"smartshare_path\"?, \"torrent\"?: false, \"torrent_path\"?, \"trackers\"?: [url], \"overwrite\"?: false}): creates its stream, lists it, announces it unless private, and writes its .smartshare file; with torrent, also makes a torrent (of a file or a folder), seeds it and writes the .torrent file. file_path must be a regular file (or, with torrent, a folder of them). An existing smartshare_path or torrent_path is refused before any work unless overwrite is true.",
            StreamCreateAsync);
        methods.Add("file_list", "Files and torrents downloaded, downloading and shared ({\"sd_hash\"?, \"info_hash\"?, \"page\"?, \"page_size\"?}).", FileList);
        methods.Add(
            "file_delete",
            "Removes a file or torrent from the list and stops its transfer ({\"sd_hash\" or \"info_hash\", \"delete_from_download_dir\"?: false}); blobs stay in the store.",
            FileDeleteAsync);
    }

    private async Task<JsonNode?> GetAsync(RpcParams parameters, CancellationToken cancellationToken)
    {
        var directory = parameters.GetOptionalString("download_directory");
        var timeout = TimeSpan.FromSeconds(parameters.GetInt32("timeout", DefaultGetTimeoutSeconds, min: 1, max: 3600));
        var peers = ReadPeers(parameters);
        var uri = parameters.GetString("uri");
        if (TorrentSource.IsMagnet(uri))
        {
            return GetMagnet(uri, directory, peers);
        }

        if (TorrentSource.IsTorrent(uri))
        {
            return await GetTorrentAsync(uri, directory, peers, cancellationToken);
        }

        DownloadTarget target;
        try
        {
            target = await DownloadTarget.ResolveAsync(uri, time, cancellationToken);
            if (parameters.GetBoolean("bittorrent", false))
            {
                // The share's torrent form: from the creator's peers and DHT nodes, then anyone the DHT finds.
                var magnet = await target.MagnetAsync(time, cancellationToken)
                    ?? throw new FormatException($"The share '{target.Name}' has no torrent form (no bittorrent object); get it without bittorrent to use LBRY.");
                return GetMagnet(magnet, directory, peers);
            }

            if (target.SdBlob is { } sdBlob)
            {
                downloads.ImportDescriptor(target.SdHash, sdBlob);
            }
        }
        catch (Exception ex) when (ex is FormatException or LbryDataException or IOException or UnauthorizedAccessException)
        {
            throw JsonRpcException.InvalidParams(ex.Message);
        }

        var sdHash = target.SdHash;
        peers.AddRange(target.Peers);
        downloads.AddDhtContacts(target.DhtContacts);
        var active = downloads.Start(sdHash, directory, peers, target.Private);
        if (active is not null)
        {
            using var limit = new TimeLimit(timeout, time, cancellationToken);
            try
            {
                await active.Download.WaitForDescriptorAsync(limit.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // Still looking for peers: answer with the entry as it is; the download goes on.
            }
            catch (LbryDataException ex)
            {
                throw new JsonRpcException(JsonRpcErrorCodes.ServerError, ex.Message);
            }
        }

        var record = downloads.Find(sdHash) ?? throw new JsonRpcException(JsonRpcErrorCodes.ServerError, $"The download of {sdHash} ended before it was listed.");
        return FileView.ToJson(record, downloads.Active(sdHash), runtime.StreamLinks);
    }

    private JsonObject GetMagnet(string magnet, string? directory, List<IPEndPoint> peers)
    {
        try
        {
            var record = torrents.AddMagnet(magnet, directory, peers);
            return TorrentView.ToJson(record, torrents.Session(record.InfoHash), runtime.StreamLinks);
        }
        catch (Exception ex) when (ex is FormatException or TorrentStorageException or ArgumentException or IOException or UnauthorizedAccessException)
        {
            throw JsonRpcException.InvalidParams(ex.Message);
        }
    }

    private async Task<JsonNode?> GetTorrentAsync(string uri, string? directory, List<IPEndPoint> peers, CancellationToken cancellationToken)
    {
        try
        {
            var metainfo = await TorrentSource.ReadAsync(uri, torrents.Http, time, cancellationToken);
            var session = torrents.Add(metainfo, directory, peers);
            var record = torrents.Find(session.InfoHash)
                ?? throw new JsonRpcException(JsonRpcErrorCodes.ServerError, $"The torrent {session.InfoHash} ended before it was listed.");
            return TorrentView.ToJson(record, session, runtime.StreamLinks);
        }
        catch (Exception ex) when (ex is FormatException or TorrentStorageException or ArgumentException or IOException or UnauthorizedAccessException)
        {
            throw JsonRpcException.InvalidParams(ex.Message);
        }
    }

    private async Task<JsonNode?> StreamCreateAsync(RpcParams parameters, CancellationToken cancellationToken)
    {
        // Before any work: an output that is taken must not cost a stream, a listing or an announcement.
        var overwrite = parameters.GetBoolean("overwrite", false);
        RefuseTakenOutputs(parameters, overwrite);

        if (parameters.GetBoolean("torrent", false) && Directory.Exists(parameters.GetString("file_path")))
        {
            // A folder has no LBRY stream (a stream is one file): share it as a torrent alone.
            var view = new JsonObject();
            await AddTorrentShareAsync(parameters, view, cancellationToken);
            return view;
        }

        var path = parameters.GetString("file_path");
        var isPrivate = parameters.GetBoolean("private", false);
        var advertise = ReadStrings(parameters, "advertise");
        var sharePath = parameters.GetOptionalString("smartshare_path");
        try
        {
            // Check what the .smartshare file will say before the (long) work of creating the stream.
            var contacts = ShareFiles.Contacts(advertise, dht.LocalEndPoint.Port, dht.LocalEndPoint.Address);
            var created = await downloads.ShareAsync(path, isPrivate, cancellationToken);
            var torrentView = new JsonObject();
            var torrentForm = parameters.GetBoolean("torrent", false)
                ? await AddTorrentShareAsync(parameters, torrentView, cancellationToken)
                : null;
            var share = ShareFiles.Describe(created, storage.Blobs.ReadAllVerified(created.SdHash), contacts, isPrivate, time.GetUtcNow()) with
            {
                BitTorrent = torrentForm,
            };
            var record = downloads.Find(created.SdHash)!;
            var view = FileView.ToJson(record, null, runtime.StreamLinks);
            view["size"] = created.Size;
            view["blobs_in_stream"] = created.Descriptor.DataBlobCount;
            view["stream_hash"] = created.Descriptor.StreamHash;
            view["suggested_file_name"] = created.Descriptor.SuggestedFileName;
            view["private"] = isPrivate;
            view["smartshare"] = sharePath is null ? null : ShareFiles.Write(share, sharePath, overwrite);
            view["link"] = SmartShareCodec.ToLink(share);
            view["advertised"] = new JsonArray([.. contacts.Select(contact => (JsonNode?)JsonValue.Create(contact.Blob?.ToString()))]);
            foreach (var (key, value) in torrentView.ToList())
            {
                torrentView.Remove(key);
                view[key] = value;
            }

            return view;
        }
        catch (Exception ex) when (ex is FormatException or StreamSourceException or LocalFileException)
        {
            throw JsonRpcException.InvalidParams(ex.Message);
        }
        catch (Exception ex) when (ex is LbryDataException or IOException or UnauthorizedAccessException or StorageException)
        {
            throw new JsonRpcException(JsonRpcErrorCodes.ServerError, ex.Message);
        }
    }

    private static void RefuseTakenOutputs(RpcParams parameters, bool overwrite)
    {
        // A folder shared as a torrent alone writes no .smartshare file; a torrent_path is written only with torrent.
        var torrent = parameters.GetBoolean("torrent", false);
        var folderTorrent = torrent && Directory.Exists(parameters.GetString("file_path"));
        string?[] outputs = [folderTorrent ? null : parameters.GetOptionalString("smartshare_path"), torrent ? parameters.GetOptionalString("torrent_path") : null];
        try
        {
            foreach (var output in outputs.OfType<string>())
            {
                ShareFiles.CheckOutput(output, overwrite, "pass \"overwrite\": true (smartshare share --force)");
            }
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException)
        {
            throw JsonRpcException.InvalidParams(ex.Message);
        }
    }

    // Makes the torrent of file_path, seeds it, writes the .torrent file and adds info_hash, torrent and magnet to the
    // view. The magnet carries our peer endpoints (x.pe) and DHT nodes (dht=), so any libtorrent-based client can start
    // from us with no tracker; the same endpoints go into the .smartshare file's bittorrent object.
    private async Task<SmartShareTorrent> AddTorrentShareAsync(RpcParams parameters, JsonObject view, CancellationToken cancellationToken)
    {
        var path = parameters.GetString("file_path");
        var torrentPath = parameters.GetOptionalString("torrent_path");
        var advertise = ReadStrings(parameters, "advertise");
        var trackers = ReadStrings(parameters, "trackers");
        try
        {
            var (metainfo, torrent, _) = await torrents.ShareAsync(path, trackers.FirstOrDefault(), cancellationToken);
            var peerEndPoints = ShareFiles.Contacts(advertise, torrents.ListenEndPoint.Port, torrents.ListenEndPoint.Address)
                .Select(contact => contact.Blob)
                .OfType<SmartShareEndpoint>()
                .ToList();
            var dhtEndPoints = torrents.DhtEndPoint is { } dhtEndPoint && !torrent.Info.IsPrivate
                ? ShareFiles.Contacts(advertise, dhtEndPoint.Port, dhtEndPoint.Address).Select(contact => contact.Dht).OfType<SmartShareEndpoint>().ToList()
                : [];
            var peers = peerEndPoints
                .Select(endPoint => IPAddress.TryParse(endPoint.Host, out var address) ? new IPEndPoint(address, endPoint.Port) : null)
                .OfType<IPEndPoint>();
            view["info_hash"] = torrent.InfoHash.ToString();
            view["torrent"] = torrentPath is null ? null : ShareFiles.WriteAtomically(metainfo, torrentPath, parameters.GetBoolean("overwrite", false));
            view["magnet"] = MagnetLink.Build(
                torrent.InfoHash,
                torrent.Info.Name,
                torrent.Info.TotalLength,
                trackers,
                peers,
                dhtEndPoints.Select(node => new DnsEndPoint(node.Host, node.Port)));
            view["torrent_name"] = torrent.Info.Name;
            view["pieces_total"] = torrent.Info.PieceCount;
            view["piece_length"] = torrent.Info.PieceLength;
            view["bytes_total"] ??= torrent.Info.TotalLength;
            view["bt_port"] = torrents.ListenEndPoint.Port;
            view["bt_dht_port"] = torrents.DhtEndPoint?.Port;
            return new SmartShareTorrent(torrent.InfoHash, peerEndPoints, dhtEndPoints);
        }
        catch (Exception ex) when (ex is ArgumentException or FileNotFoundException or DirectoryNotFoundException or LocalFileException)
        {
            throw JsonRpcException.InvalidParams(ex.Message);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or StorageException)
        {
            throw new JsonRpcException(JsonRpcErrorCodes.ServerError, ex.Message);
        }
    }

    private Task<JsonNode?> FileList(RpcParams parameters, CancellationToken cancellationToken)
    {
        if (parameters.Has("info_hash"))
        {
            var hash = ReadInfoHash(parameters);
            var torrent = torrents.Find(hash);
            var one = torrent is null ? new List<JsonObject>() : [TorrentView.ToJson(torrent, torrents.Session(hash), runtime.StreamLinks)];
            return Task.FromResult<JsonNode?>(RpcPage.Of(parameters, one, item => item));
        }

        if (!parameters.Has("sd_hash"))
        {
            var all = downloads.List().Select(record => FileView.ToJson(record, downloads.Active(record.SdHash), runtime.StreamLinks))
                .Concat(torrents.List().Select(record => TorrentView.ToJson(record, torrents.Session(record.InfoHash), runtime.StreamLinks)))
                .ToList();
            return Task.FromResult<JsonNode?>(RpcPage.Of(parameters, all, item => item));
        }

        IReadOnlyList<FileRecord> records;
        if (parameters.Has("sd_hash"))
        {
            var record = downloads.Find(parameters.GetBlobHash("sd_hash"));
            records = record is null ? [] : [record];
        }
        else
        {
            records = downloads.List();
        }

        return Task.FromResult<JsonNode?>(RpcPage.Of(
            parameters, records, record => FileView.ToJson(record, downloads.Active(record.SdHash), runtime.StreamLinks)));
    }

    private async Task<JsonNode?> FileDeleteAsync(RpcParams parameters, CancellationToken cancellationToken)
    {
        if (parameters.Has("info_hash"))
        {
            var hash = ReadInfoHash(parameters);
            try
            {
                return await torrents.DeleteAsync(hash, parameters.GetBoolean("delete_from_download_dir", false));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new JsonRpcException(JsonRpcErrorCodes.ServerError, $"The torrent {hash} was removed, but its files could not all be deleted: {ex.Message}");
            }
        }

        var sdHash = parameters.GetBlobHash("sd_hash");
        var deleteFile = parameters.GetBoolean("delete_from_download_dir", false);
        try
        {
            return await downloads.DeleteAsync(sdHash, deleteFile, cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new JsonRpcException(JsonRpcErrorCodes.ServerError, $"Removed nothing: the file of {sdHash} could not be deleted: {ex.Message}");
        }
    }

    private static InfoHash ReadInfoHash(RpcParams parameters)
    {
        var text = parameters.GetString("info_hash");
        return InfoHash.TryParse(text, out var hash)
            ? hash
            : throw JsonRpcException.InvalidParams($"The parameter 'info_hash' must be 40 hex digits, not '{text}'.");
    }

    private static List<string> ReadStrings(RpcParams parameters, string name)
    {
        if (!parameters.Has(name))
        {
            return [];
        }

        if (parameters.GetNode(name) is not JsonArray array)
        {
            throw JsonRpcException.InvalidParams($"The parameter '{name}' must be a list of strings.");
        }

        return [.. array.Select(item => item is JsonValue value && value.TryGetValue<string>(out var text)
            ? text
            : throw JsonRpcException.InvalidParams($"The parameter '{name}' holds {item?.ToJsonString() ?? "null"}, which is not a string."))];
    }

    private static List<IPEndPoint> ReadPeers(RpcParams parameters)
    {
        var peers = new List<IPEndPoint>();
        if (!parameters.Has("peers"))
        {
            return peers;
        }

        if (parameters.GetNode("peers") is not JsonArray array)
        {
            throw JsonRpcException.InvalidParams("The parameter 'peers' must be a list of \"ip:port\" strings.");
        }

        foreach (var item in array)
        {
            var text = item is JsonValue value && value.TryGetValue<string>(out var s) ? s : null;
            if (text is null || !IPEndPoint.TryParse(text, out var peer) || peer.Port == 0)
            {
                throw JsonRpcException.InvalidParams($"The parameter 'peers' holds {item?.ToJsonString() ?? "null"}, which is not an \"ip:port\" address.");
            }

            peers.Add(peer);
        }

        return peers;
    }
}
