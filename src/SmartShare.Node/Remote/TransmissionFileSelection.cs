using System.Text.Json;
using System.Text.Json.Nodes;
using SmartShare.BitTorrent;
using SmartShare.BitTorrent.Storage;
using SmartShare.Node.Torrents;
using SmartShare.Node.Transfers;
using SmartShare.Storage;

namespace SmartShare.Node.Remote;

/// <summary>
/// Transmission's file selection keys of torrent-add and torrent-set (<c>files-wanted</c>, <c>files-unwanted</c>,
/// <c>priority-high</c>, <c>priority-normal</c>, <c>priority-low</c>: lists of file indexes; an empty
/// <c>files-wanted</c> means every file, as in Transmission) and <c>sequentialDownload</c> (also
/// <c>sequential_download</c>, Transmission 4.1's spelling), as a <see cref="FileSelectionRequest"/>.
/// </summary>
internal static class TransmissionFileSelection
{
    private static readonly string[] Lists = ["files-wanted", "files-unwanted", "priority-high", "priority-normal", "priority-low"];
    private static readonly string[] SequentialKeys = ["sequentialDownload", "sequential_download"];

    /// <summary>The request the arguments make, or null when they name none of these keys.</summary>
    /// <exception cref="TransmissionFailure">A key is not a list of file indexes, or a switch not true or false.</exception>
    public static FileSelectionRequest? Read(TransmissionArguments arguments)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        if (!Lists.Any(arguments.Has) && !SequentialKeys.Any(arguments.Has))
        {
            return null;
        }

        IReadOnlyList<int>? List(string key)
        {
            if (arguments.Node(key) is not { } node)
            {
                return null;
            }

            if (node is not JsonArray)
            {
                throw new TransmissionFailure($"'{key}' must be a list of file indexes (whole numbers from 0).");
            }

            try
            {
                return FileSelectionRequest.Read(node, key);
            }
            catch (FormatException ex)
            {
                throw new TransmissionFailure(ex.Message);
            }
        }

        var wanted = List("files-wanted");
        var everything = wanted is { Count: 0 } && arguments.Node("files-wanted") is JsonArray;
        bool? sequential = null;
        foreach (var key in SequentialKeys)
        {
            sequential ??= arguments.Boolean(key);
        }

        var request = new FileSelectionRequest(
            Wanted: wanted is { Count: > 0 } ? wanted : null,
            Unwanted: List("files-unwanted") is { Count: > 0 } unwanted ? unwanted : null,
            High: List("priority-high") is { Count: > 0 } high ? high : null,
            Normal: List("priority-normal") is { Count: > 0 } normal ? normal : null,
            Low: List("priority-low") is { Count: > 0 } low ? low : null,
            Sequential: sequential,
            WantAll: everything);
        return request.IsEmpty ? null : request;
    }

    /// <summary>torrent-set's file keys for each selected transfer; streams (one file) and unknown indexes are refused.</summary>
    public static async Task ApplyAsync(
        FileSelectionRequest request, TorrentManager? torrents, IEnumerable<Transfer> selected, List<string> problems, CancellationToken cancellationToken)
    {
        foreach (var transfer in selected)
        {
            if (torrents is null || transfer.Key.Network != TransferNetwork.Torrent || !InfoHash.TryParse(transfer.Key.Hash, out var hash))
            {
                problems.Add($"{transfer.Name ?? transfer.Key.Hash} is an LBRY stream, a single file: it has no files to choose.");
                continue;
            }

            try
            {
                await torrents.SelectFilesAsync(hash, request, cancellationToken);
            }
            catch (Exception ex) when (ex is ArgumentException or TorrentStorageException or StorageException or IOException or UnauthorizedAccessException)
            {
                problems.Add(ex.Message);
            }
        }
    }
}
