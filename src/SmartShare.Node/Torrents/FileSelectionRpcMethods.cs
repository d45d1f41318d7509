using System.Text.Json.Nodes;
using SmartShare.BitTorrent;
using SmartShare.BitTorrent.Storage;
using SmartShare.Node.Api;
using SmartShare.Node.Downloads;
using SmartShare.Node.Hosting;
using SmartShare.Node.Transfers;
using SmartShare.Storage;

namespace SmartShare.Node.Torrents;

/// <summary><c>file_set_files</c>: which files of a torrent are fetched, their priorities and the piece order.</summary>
internal sealed class FileSelectionRpcMethods(TorrentManager torrents, TransferManager transfers, NodeRuntime runtime) : IRpcMethodProvider
{
    public const string Description =
        "Chooses which files of a torrent are downloaded and how ({\"key\" or \"info_hash\", \"wanted\"?, \"unwanted\"?, " +
        "\"priority_high\"?, \"priority_normal\"?, \"priority_low\"?: file indexes from 0 as \"0,2-5\" or [0, 2], " +
        "\"sequential\"?: true to take pieces in order, \"first_last_piece\"?: true to fetch each wanted file's first and last " +
        "piece first}). Unwanted files are not downloaded nor created (bytes of pieces shared with a wanted file go to a " +
        "hidden .<info hash>.parts file in the download folder); a priority makes a file wanted; a torrent done with its " +
        "wanted files seeds what it has and downloads again when more are wanted. For a magnet still fetching its metadata " +
        "the choice applies once the files are known. Answers the transfer, whose files show wanted and priority.";

    public void Register(JsonRpcMethods methods)
    {
        ArgumentNullException.ThrowIfNull(methods);
        methods.Add("file_set_files", Description, SetFilesAsync);
    }

    private async Task<JsonNode?> SetFilesAsync(RpcParams parameters, CancellationToken cancellationToken)
    {
        var key = FileRpcMethods.ReadKey(parameters, required: true)!.Value;
        if (key.Network != TransferNetwork.Torrent || !InfoHash.TryParse(key.Hash, out var infoHash))
        {
            throw JsonRpcException.InvalidParams($"{key} is a stream, which is one file; file_set_files is for torrents.").WithKind("bad_input");
        }

        if (torrents.Find(infoHash) is null)
        {
            throw JsonRpcException.InvalidParams($"The node lists no transfer {key}.").WithKind("not_found");
        }

        FileSelectionRequest request;
        try
        {
            request = new FileSelectionRequest(
                Wanted: FileSelectionRequest.Read(parameters.Raw?["wanted"], "wanted"),
                Unwanted: FileSelectionRequest.Read(parameters.Raw?["unwanted"], "unwanted"),
                High: FileSelectionRequest.Read(parameters.Raw?["priority_high"], "priority_high"),
                Normal: FileSelectionRequest.Read(parameters.Raw?["priority_normal"], "priority_normal"),
                Low: FileSelectionRequest.Read(parameters.Raw?["priority_low"], "priority_low"),
                Sequential: parameters.Has("sequential") ? parameters.GetBoolean("sequential", false) : null,
                FirstLastPiece: parameters.Has("first_last_piece") ? parameters.GetBoolean("first_last_piece", false) : null);
        }
        catch (FormatException ex)
        {
            throw JsonRpcException.InvalidParams(ex.Message).WithKind("bad_input");
        }

        if (request.IsEmpty)
        {
            throw JsonRpcException.InvalidParams(
                "Say what to change: wanted, unwanted, priority_high, priority_normal, priority_low, sequential or first_last_piece.").WithKind("bad_input");
        }

        var both = (request.Wanted ?? []).Intersect(request.Unwanted ?? []).ToList();
        if (both.Count > 0)
        {
            throw JsonRpcException.InvalidParams(
                $"File {FileSelectionRequest.Format(both)} is both wanted and unwanted; name each file in one of them.").WithKind("bad_input");
        }

        try
        {
            await torrents.SelectFilesAsync(infoHash, request, cancellationToken);
        }
        catch (ArgumentException ex)
        {
            throw JsonRpcException.InvalidParams(ex.Message).WithKind("bad_input");
        }
        catch (Exception ex) when (ex is TorrentStorageException or StorageException or IOException or UnauthorizedAccessException)
        {
            throw new JsonRpcException(JsonRpcErrorCodes.ServerError, $"The file selection of {key} could not be applied: {ex.Message}").WithKind("io");
        }

        return transfers.Find(key) is { } transfer
            ? TransferView.ToJson(transfer, transfers.Network(key).Describe(transfer, runtime.StreamLinks), runtime.StreamLinks)
            : throw JsonRpcException.InvalidParams($"The node lists no transfer {key}.").WithKind("not_found");
    }
}
