using System.Net;
using System.Text.Json.Nodes;
using SmartShare.Lbry;
using SmartShare.Lbry.Blobs;
using SmartShare.Lbry.Dht;
using SmartShare.Node.Api;
using SmartShare.Node.Hosting;
using SmartShare.Node.Shares;
using SmartShare.Storage;

namespace SmartShare.Node.Downloads;

/// <summary><c>get</c>, <c>stream_create</c>, <c>file_list</c> and <c>file_delete</c>: the node's files.</summary>
internal sealed class FileRpcMethods(DownloadManager downloads, NodeRuntime runtime, LbryStorage storage, LbryDhtService dht, TimeProvider time) : IRpcMethodProvider
{
    private const int DefaultGetTimeoutSeconds = 60;

    public void Register(JsonRpcMethods methods)
    {
        ArgumentNullException.ThrowIfNull(methods);
        methods.Add(
            "get",
            "Downloads a stream ({\"uri\": sd hash, smartshare: link or .smartshare file path, \"download_directory\"?, \"peers\"?: [\"ip:port\"], \"timeout\"?: seconds to wait for the descriptor}); answers once it is under way.",
            GetAsync);
        methods.Add(
            "stream_create",
            "Shares a file ({\"file_path\", \"private\"?, \"advertise\"?: [\"host[:port]\"], \"smartshare_path\"?}): creates its stream, lists it, announces it unless private, and writes its .smartshare file.",
            StreamCreateAsync);
        methods.Add("file_list", "Files downloaded, downloading and shared ({\"sd_hash\"?, \"page\"?, \"page_size\"?}).", FileList);
        methods.Add(
            "file_delete",
            "Removes a file from the list and stops its download ({\"sd_hash\", \"delete_from_download_dir\"?: false}); blobs stay in the store.",
            FileDeleteAsync);
    }

    private async Task<JsonNode?> GetAsync(RpcParams parameters, CancellationToken cancellationToken)
    {
        var directory = parameters.GetOptionalString("download_directory");
        var timeout = TimeSpan.FromSeconds(parameters.GetInt32("timeout", DefaultGetTimeoutSeconds, min: 1, max: 3600));
        var peers = ReadPeers(parameters);
        DownloadTarget target;
        try
        {
            target = await DownloadTarget.ResolveAsync(parameters.GetString("uri"), cancellationToken);
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
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            limit.CancelAfter(timeout);
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
        return FileView.ToJson(record, downloads.Active(sdHash), runtime.ApiUri);
    }

    private async Task<JsonNode?> StreamCreateAsync(RpcParams parameters, CancellationToken cancellationToken)
    {
        var path = parameters.GetString("file_path");
        var isPrivate = parameters.GetBoolean("private", false);
        var advertise = ReadStrings(parameters, "advertise");
        var sharePath = parameters.GetOptionalString("smartshare_path");
        try
        {
            // Check what the .smartshare file will say before the (long) work of creating the stream.
            var contacts = ShareFiles.Contacts(advertise, dht.LocalEndPoint.Port);
            var created = await downloads.ShareAsync(path, isPrivate, cancellationToken);
            var share = ShareFiles.Describe(created, storage.Blobs.ReadAllVerified(created.SdHash), contacts, isPrivate, time.GetUtcNow());
            var record = downloads.Find(created.SdHash)!;
            var view = FileView.ToJson(record, null, runtime.ApiUri);
            view["size"] = created.Size;
            view["blobs_in_stream"] = created.Descriptor.DataBlobCount;
            view["stream_hash"] = created.Descriptor.StreamHash;
            view["suggested_file_name"] = created.Descriptor.SuggestedFileName;
            view["private"] = isPrivate;
            view["smartshare"] = sharePath is null ? null : ShareFiles.Write(share, sharePath);
            view["link"] = SmartShareCodec.ToLink(share);
            view["advertised"] = new JsonArray([.. contacts.Select(contact => (JsonNode?)JsonValue.Create(contact.Blob?.ToString()))]);
            return view;
        }
        catch (FormatException ex)
        {
            throw JsonRpcException.InvalidParams(ex.Message);
        }
        catch (Exception ex) when (ex is LbryDataException or IOException or UnauthorizedAccessException or StorageException)
        {
            throw new JsonRpcException(JsonRpcErrorCodes.ServerError, ex.Message);
        }
    }

    private Task<JsonNode?> FileList(RpcParams parameters, CancellationToken cancellationToken)
    {
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
            parameters, records, record => FileView.ToJson(record, downloads.Active(record.SdHash), runtime.ApiUri)));
    }

    private async Task<JsonNode?> FileDeleteAsync(RpcParams parameters, CancellationToken cancellationToken)
    {
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
