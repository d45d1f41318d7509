using System.Text.Json.Nodes;
using SmartShare.BitTorrent.Engine;

namespace SmartShare.Node.Transfers;

/// <summary>A torrent's file selection in the transfer model: each file's wanted flag and priority, the wanted bytes.</summary>
internal static class TorrentSelectionView
{
    /// <summary>The files with the selection's wanted flags and priorities (all wanted, normal, without one).</summary>
    public static List<TransferFile> Mark(IReadOnlyList<TransferFile> files, FileSelection? selection) =>
        selection is null || selection.Priorities.Count != files.Count
            ? [.. files]
            : [.. files.Select(file => file with
            {
                Wanted = selection.IsWanted(file.Index),
                Priority = (FilePriority)(int)selection.Priorities[file.Index],
            })];

    /// <summary>Bytes held of the wanted files (a torrent without a session, from its resume record).</summary>
    public static long WantedHave(IReadOnlyList<TransferFile> files, bool known) =>
        known ? files.Where(file => file.Wanted).Sum(file => file.BytesHave) : 0;

    /// <summary>The torrent's own selection fields: its size when done, sequential and first/last-piece order.</summary>
    public static void Describe(JsonObject view, Transfer transfer, FileSelection? selection, long totalLength)
    {
        view["total_length"] = totalLength;
        view["size_when_done"] = transfer.Progress.BytesTotal;
        view["wanted_files"] = transfer.Files.Count(file => file.Wanted);
        view["sequential_download"] = selection?.Sequential ?? false;
        view["first_last_piece_priority"] = selection?.FirstLastPiece ?? false;
    }
}
