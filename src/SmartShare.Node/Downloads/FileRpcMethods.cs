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
using SmartShare.Node.Transfers;
using SmartShare.Storage;
using SmartShare.Threading;

namespace SmartShare.Node.Downloads;

/// <summary><c>get</c>, <c>stream_create</c>, <c>file_list</c> and <c>file_delete</c>: the node's files.</summary>
internal sealed class FileRpcMethods(
    DownloadManager downloads,
    TorrentManager torrents,
    TransferManager transfers,
    NodeRuntime runtime,
    LbryStorage storage,
    LbryDhtService dht,
    Settings.NodeSettingsStore settings,
    Limits.BandwidthLimits limits,
    TimeProvider time,
    Reachability.ShareContacts shareContacts,
    BlobStorage.PlainFileStreams? plainFiles = null) : IRpcMethodProvider
{
    private const int DefaultGetTimeoutSeconds = 60;

    public void Register(JsonRpcMethods methods)
    {
        ArgumentNullException.ThrowIfNull(methods);
        methods.Add(
            "get",
            "Downloads a stream or a torrent ({\"uri\": sd hash, smartshare: link, .smartshare file path, magnet link, .torrent file path or http(s) URL of one; or \"content_base64\": a .torrent or .smartshare file's bytes with \"content_name\"?: its name, \"download_directory\"?, \"peers\"?: [\"ip:port\"], \"timeout\"?: seconds to wait for the descriptor, \"bittorrent\"?: false (for a share: use its torrent form), \"files\"?: for a torrent, only these files (indexes from 0 as \"0,2-5\" or [0, 2]), \"skip\"?: not these files (same forms; for a magnet both apply once its metadata arrives)}); answers once it is under way, with the transfer's entry and \"created\": false when it was listed already (the call then resumes it).",
            GetAsync);
        methods.Add(
            "stream_create",
            "Shares a file ({\"file_path\", \"private\"?, \"advertise\"?: [\"host[:port]\"], \"smartshare_path\"?, \"torrent\"?: false, \"torrent_path\"?, \"trackers\"?: [url], \"overwrite\"?: false, \"advertise_port\"?, \"advertise_bt_port\"?, \"advertise_bt_dht\"?}): creates its stream, lists it, announces it unless private, and writes its .smartshare file; with torrent, also makes a torrent (of a file or a folder), seeds it and writes the .torrent file. file_path must be a regular file (or, with torrent, a folder of them). An existing smartshare_path or torrent_path is refused before any work unless overwrite is true. The advertise_* ports (default: the ports this node listens on) are what the .smartshare file and the magnet name, for a node that shares on behalf of another one started later (advertise_bt_port 0: name no BitTorrent peer; advertise_bt_dht: name the BitTorrent port as a Mainline DHT node).",
            StreamCreateAsync);
        methods.Add(
            "file_save",
            "Writes a stream's file from the blobs this node holds, without the network ({\"uri\": sd hash, smartshare: link or .smartshare file path, \"download_directory\"?}): a new file under a free name each time, every blob checked, nothing kept when a blob is missing or damaged (error data.kind: missing_blob, corrupt_blob, invalid_descriptor).",
            FileSaveAsync);
        methods.Add("file_list", "Transfers (streams and torrents) downloaded, downloading and shared ({\"key\"? or \"sd_hash\"? or \"info_hash\"?, \"page\"?, \"page_size\"?, \"files_offset\"?: 0, \"files_limit\"?: 1000}); each lists at most files_limit of its files (0: none) from files_offset, and file_count says how many it has.", FileList);
        methods.Add(
            "file_set_status",
            "Pauses or resumes a transfer ({\"key\", \"sd_hash\" or \"info_hash\", \"status\": \"stop\" or \"start\"}); a stopped one keeps what it has and fetches only the rest when started.",
            FileSetStatusAsync);
        methods.Add(
            "transfer_peers",
            "The peers of a transfer ({\"key\", \"sd_hash\" or \"info_hash\"}): for a torrent each connected peer's address, client, download and upload rate and progress; for a stream the blob-exchange peers of its running download (rates and progress not measured: null); a note says why a list is empty or partial.",
            TransferPeers);
        methods.Add(
            "file_delete",
            "Stops a transfer and removes it from the list ({\"key\", \"sd_hash\" or \"info_hash\", \"delete_from_download_dir\"?: false}); a stream's blobs (whole or partial) are deleted from the store unless another listed stream uses them, and it is no longer announced or served.",
            FileDeleteAsync);
    }

    private async Task<JsonNode?> GetAsync(RpcParams parameters, CancellationToken cancellationToken)
    {
        var directory = parameters.GetOptionalString("download_directory");
        var timeout = TimeSpan.FromSeconds(parameters.GetInt32("timeout", DefaultGetTimeoutSeconds, min: 1, max: 3600));
        var peers = ReadPeers(parameters);
        var content = parameters.GetOptionalString("content_base64");
        var uri = content is null ? parameters.GetString("uri") : string.Empty;
        try
        {
            var only = FileSelectionRequest.Read(parameters.Raw?["files"], "files");
            var skip = FileSelectionRequest.Read(parameters.Raw?["skip"], "skip");
            var files = only is null && skip is null ? null : new FileSelectionRequest(Only: only, Unwanted: skip);
            var request = new TransferRequest(uri, directory, peers, timeout, parameters.GetBoolean("bittorrent", false), files);
            if (content is not null)
            {
                var name = parameters.GetOptionalString("content_name");
                var bytes = IncomingFile.Decode(content, "content_base64");
                var kind = IncomingFile.KindOf(name, bytes);
                return Added(await IncomingFile.AddAsync(transfers, runtime.DataDirectory, bytes, kind, name ?? $"the dropped {kind} file", request, cancellationToken));
            }

            return Added(await transfers.AddAsync(request, cancellationToken));
        }
        catch (Exception ex) when (ex is FormatException or TorrentStorageException or ArgumentException or IOException or UnauthorizedAccessException)
        {
            throw JsonRpcException.InvalidParams(ex.Message).WithKind(KindOf(ex));
        }
        catch (Exception ex) when (ex is LbryDataException or InvalidOperationException)
        {
            throw new JsonRpcException(JsonRpcErrorCodes.ServerError, ex.Message).WithKind(KindOf(ex));
        }
    }

    // The stream's file rebuilt from local blobs alone: what `smartshare get` does when it holds the whole stream or
    // can reach no peer. Every data blob is looked up before anything is written, so a missing one costs no work.
    private async Task<JsonNode?> FileSaveAsync(RpcParams parameters, CancellationToken cancellationToken)
    {
        var uri = parameters.GetString("uri");
        var chosen = parameters.GetOptionalString("download_directory");
        try
        {
            var target = await DownloadTarget.ResolveAsync(uri, time, cancellationToken);
            if (target.SdBlob is { } sdBlob)
            {
                downloads.ImportDescriptor(target.SdHash, sdBlob);
            }

            var decryptor = new StreamDecryptor(storage);
            var descriptor = decryptor.ReadDescriptor(target.SdHash);
            var directory = Path.GetFullPath(chosen ?? settings.Current.DownloadDirectory);
            var missing = descriptor.DataBlobs.FirstOrDefault(blob => blob.BlobHash is { } hash && storage.Blobs.TryGetLength(hash) != blob.Length);

            // A stream whose blobs were dropped is copied from its plain file, every blob checked on the way.
            var path = missing is not null && plainFiles?.TrySaveCopy(target.SdHash, directory, cancellationToken) is { } copy
                ? copy
                : missing is { BlobHash: { } absent }
                    ? throw new BlobNotFoundException(absent, $"Blob {absent} is not in the local store ({storage.Blobs.Directory}).")
                    : await decryptor.SaveAsync(descriptor, directory, cancellationToken: cancellationToken);
            return new JsonObject
            {
                ["sd_hash"] = target.SdHash.ToString(),
                ["download_path"] = path,
                ["file_name"] = Path.GetFileName(path),
                ["stream_name"] = descriptor.StreamName,
                ["size"] = new FileInfo(path).Length,
                ["blobs_in_stream"] = descriptor.DataBlobCount,
            };
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException)
        {
            throw JsonRpcException.InvalidParams(ex.Message).WithKind(KindOf(ex));
        }
        catch (Exception ex) when (ex is LbryDataException or IOException or UnauthorizedAccessException or StorageException)
        {
            throw new JsonRpcException(JsonRpcErrorCodes.ServerError, ex.Message).WithKind(KindOf(ex));
        }
    }

    /// <summary>The error's <c>data.kind</c>: the words the CLI has always used for these failures.</summary>
    private static string KindOf(Exception exception) => exception switch
    {
        StreamSourceException or LocalFileException => "bad_source",
        InvalidStreamDescriptorException => "invalid_descriptor",
        BlobNotFoundException => "missing_blob",
        CorruptBlobException => "corrupt_blob",
        Lbry.Downloads.StreamDownloadException => "download_failed",
        LbryDataException => "bad_data",
        FormatException or ArgumentException or TorrentStorageException => "bad_input",
        _ when DiskErrors.CausedByFullDisk(exception, out _) => "disk_full",
        StorageException => "storage",
        IOException or UnauthorizedAccessException => "io",
        _ => "failed",
    };

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
        if (Directory.Exists(path))
        {
            // Said before any work, with the way out: a folder can only be shared as a torrent.
            throw JsonRpcException.InvalidParams(
                $"{Path.GetFullPath(path)} is a folder; an LBRY stream is made from a single file. Add --torrent to share the folder as a torrent (API: \"torrent\": true).")
                .WithKind("bad_source");
        }

        var isPrivate = parameters.GetBoolean("private", false);
        var advertise = ReadStrings(parameters, "advertise");
        var sharePath = parameters.GetOptionalString("smartshare_path");
        try
        {
            // Check what the .smartshare file will say before the (long) work of creating the stream.
            var port = parameters.Has("advertise_port") ? parameters.GetInt32("advertise_port", 0, min: 1, max: 65535) : dht.LocalEndPoint.Port;
            var contacts = shareContacts.ForStream(advertise, port);
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
            var view = View(transfers.Find(TransferKey.Of(record.SdHash))!);
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
            throw JsonRpcException.InvalidParams(ex.Message).WithKind(KindOf(ex));
        }
        catch (Exception ex) when (ex is LbryDataException or IOException or UnauthorizedAccessException or StorageException)
        {
            throw new JsonRpcException(JsonRpcErrorCodes.ServerError, ex.Message).WithKind(KindOf(ex));
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
            throw JsonRpcException.InvalidParams(ex.Message).WithKind("bad_input");
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
            var btPort = parameters.Has("advertise_bt_port")
                ? parameters.GetInt32("advertise_bt_port", 0, min: 0, max: 65535)
                : torrents.ListenEndPoint.Port;
            var dhtPort = parameters.Has("advertise_bt_dht")
                ? parameters.GetBoolean("advertise_bt_dht", false) ? btPort : 0
                : torrents.DhtEndPoint?.Port ?? 0;
            var (peerEndPoints, dhtEndPoints) = shareContacts.ForTorrent(advertise, btPort, torrent.Info.IsPrivate ? 0 : dhtPort);
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
            throw JsonRpcException.InvalidParams(ex.Message).WithKind("bad_source");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or StorageException)
        {
            throw new JsonRpcException(JsonRpcErrorCodes.ServerError, ex.Message).WithKind(KindOf(ex));
        }
    }

    private Task<JsonNode?> FileList(RpcParams parameters, CancellationToken cancellationToken)
    {
        var window = FileWindow.Read(parameters);
        if (ReadKey(parameters, required: false) is { } key)
        {
            IReadOnlyList<Transfer> found = transfers.Find(key) is { } one ? [one] : [];
            return Task.FromResult<JsonNode?>(RpcPage.Of(parameters, found, transfer => View(transfer, window)));
        }

        return Task.FromResult<JsonNode?>(RpcPage.Of(parameters, transfers.Page, transfer => View(transfer, window)));
    }

    private Task<JsonNode?> TransferPeers(RpcParams parameters, CancellationToken cancellationToken)
    {
        var key = ReadKey(parameters, required: true)!.Value;
        var found = transfers.Peers(key) ?? throw JsonRpcException.InvalidParams($"The node lists no transfer {key}.").WithKind("bad_input");
        return Task.FromResult<JsonNode?>(new JsonObject
        {
            ["key"] = key.Hash,
            ["type"] = key.Network == TransferNetwork.Stream ? "stream" : "torrent",
            ["peers"] = new JsonArray([.. found.Peers.Select(peer => (JsonNode?)new JsonObject
            {
                ["address"] = peer.EndPoint.Address.ToString(),
                ["port"] = peer.EndPoint.Port,
                ["client"] = peer.Client,
                ["connected"] = peer.Connected,
                ["download_rate"] = peer.DownloadRate is { } down ? Math.Round(down) : null,
                ["upload_rate"] = peer.UploadRate is { } up ? Math.Round(up) : null,
                ["progress"] = peer.Progress is { } progress ? Math.Round(progress, 4) : null,
                ["transport"] = peer.Transport,
            })]),
            ["note"] = found.Note,
        });
    }

    private async Task<JsonNode?> FileDeleteAsync(RpcParams parameters, CancellationToken cancellationToken)
    {
        var key = ReadKey(parameters, required: true)!.Value;
        try
        {
            return await transfers.RemoveAsync(key, parameters.GetBoolean("delete_from_download_dir", false), cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new JsonRpcException(JsonRpcErrorCodes.ServerError, $"The files of {key} could not all be deleted: {ex.Message}");
        }
    }

    // lbrynet's file_set_status: "stop" pauses, "start" resumes; the answer is the transfer as it stands then.
    private async Task<JsonNode?> FileSetStatusAsync(RpcParams parameters, CancellationToken cancellationToken)
    {
        var key = ReadKey(parameters, required: true)!.Value;
        var status = parameters.GetString("status");
        bool found;
        try
        {
            found = status switch
            {
                "stop" => await transfers.StopAsync(key, cancellationToken),
                "start" => transfers.Start(key),
                _ => throw JsonRpcException.InvalidParams($"The parameter 'status' must be \"start\" or \"stop\", not '{status}'."),
            };
        }
        catch (InvalidOperationException ex)
        {
            throw JsonRpcException.InvalidParams(ex.Message);
        }
        catch (Exception ex) when (ex is FormatException or TorrentStorageException or IOException or UnauthorizedAccessException)
        {
            throw new JsonRpcException(JsonRpcErrorCodes.ServerError, $"{key} could not be {(status == "stop" ? "stopped" : "started")}: {ex.Message}");
        }

        return found && transfers.Find(key) is { } transfer
            ? View(transfer)
            : throw JsonRpcException.InvalidParams($"The node lists no transfer {key}.");
    }

    // get's answer: the transfer, and whether this call created it (false: it was listed, and the call resumed it), so a
    // caller that gives up removes only what it added.
    private JsonObject Added(TransferAdded added)
    {
        var view = View(added.Transfer);
        view["created"] = added.Created;
        return view;
    }

    private JsonObject View(Transfer transfer, FileWindow? files = null)
    {
        var view = TransferView.ToJson(transfer, transfers.Network(transfer.Key).Describe(transfer, runtime.StreamLinks), runtime.StreamLinks, files);
        Limits.LimitRpcMethods.AddTo(view, limits.Get(transfer.Key));
        return view;
    }

    /// <summary>The transfer a call names: "key" (either hash), or lbrynet's "sd_hash", or "info_hash".</summary>
    internal static TransferKey? ReadKey(RpcParams parameters, bool required)
    {
        foreach (var name in (string[])["key", "sd_hash", "info_hash"])
        {
            if (!parameters.Has(name))
            {
                continue;
            }

            var text = parameters.GetString(name);
            return TransferKey.TryParse(text, out var key) && (name == "key" || (name == "sd_hash") == (key.Network == TransferNetwork.Stream))
                ? key
                : throw JsonRpcException.InvalidParams(name switch
                {
                    "sd_hash" => $"The parameter 'sd_hash' must be 96 hex digits, not '{text}'.",
                    "info_hash" => $"The parameter 'info_hash' must be 40 hex digits, not '{text}'.",
                    _ => $"The parameter 'key' must be an sd hash (96 hex digits) or an info hash (40 hex digits), not '{text}'.",
                });
        }

        return required ? throw JsonRpcException.InvalidParams("Name the transfer: 'key' (an sd hash or an info hash), 'sd_hash' or 'info_hash'.") : null;
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
