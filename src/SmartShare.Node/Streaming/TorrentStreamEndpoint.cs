using System.Buffers;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using SmartShare.BitTorrent;
using SmartShare.BitTorrent.Engine;
using SmartShare.BitTorrent.Storage;
using SmartShare.Node.Downloads;
using SmartShare.Node.Torrents;

namespace SmartShare.Node.Streaming;

/// <summary>
/// <c>GET /stream/{info_hash}[/{file index}]</c>: a file of a torrent over HTTP with Range support. A complete torrent
/// is served from its file; while it downloads, each chunk is sent once its pieces are verified, and the pieces under
/// the range (plus a few ahead) are fetched before all others, so a player can start and seek at once.
/// </summary>
internal static class TorrentStreamEndpoint
{
    private const int ChunkBytes = 1024 * 1024;
    private const int PiecesAhead = 4;

    public static async Task HandleAsync(HttpContext context, InfoHash hash, int? fileIndex)
    {
        var response = context.Response;
        var torrents = context.RequestServices.GetRequiredService<TorrentManager>();
        var record = torrents.Find(hash);
        var session = torrents.Session(hash);
        if (record is null)
        {
            await PlainAsync(response, StatusCodes.Status404NotFound, $"The node has no torrent {hash}; `get` it first.");
            return;
        }

        if (session is null)
        {
            await PlainAsync(response, StatusCodes.Status409Conflict, $"The torrent {hash} is {record.Status.ToString().ToLowerInvariant()}{(record.Error is null ? string.Empty : ": " + record.Error)}; `get` it again to resume.");
            return;
        }

        var info = session.Torrent.Info;
        if (fileIndex is null && info.Files.Count > 1)
        {
            var list = string.Join("\n", info.Files.Select((file, i) => $"  /stream/{hash}/{i}  {string.Join('/', file.Path)} ({file.Length} bytes)"));
            await PlainAsync(response, StatusCodes.Status400BadRequest, $"The torrent {record.Name} holds {info.Files.Count} files; name one:\n{list}");
            return;
        }

        var index = fileIndex ?? 0;
        if (index < 0 || index >= info.Files.Count)
        {
            await PlainAsync(response, StatusCodes.Status404NotFound, $"The torrent {record.Name} has files 0 to {info.Files.Count - 1}, not {index}.");
            return;
        }

        var file = info.Files[index];
        var path = session.Storage.FilePaths[index];
        if (session.State == TorrentState.Seeding && File.Exists(path))
        {
            await Results.File(path, RangeResponse.ServedContentType(context, path), enableRangeProcessing: true).ExecuteAsync(context);
            return;
        }

        if (RangeResponse.Begin(context, file.Length, path) is not { } range)
        {
            return;
        }

        var cancellationToken = context.RequestAborted;
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkBytes);
        try
        {
            for (var position = range.First; position <= range.Last;)
            {
                var length = (int)Math.Min(ChunkBytes, range.Last - position + 1);
                var offset = file.Offset + position;

                // Ask for the pieces after this chunk too, without waiting for them.
                var aheadEnd = Math.Min(file.Offset + range.Last + 1, offset + length + ((long)PiecesAhead * info.PieceLength));
                _ = Prefetch(session, offset + length, aheadEnd - (offset + length));
                await session.WaitForRangeAsync(offset, length, cancellationToken);
                await session.Storage.ReadAsync(offset, buffer.AsMemory(0, length), cancellationToken);
                await response.Body.WriteAsync(buffer.AsMemory(0, length), cancellationToken);
                position += length;
            }
        }
        catch (TorrentStorageException ex) when (!response.HasStarted)
        {
            await PlainAsync(response, StatusCodes.Status500InternalServerError, ex.Message);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static async Task Prefetch(TorrentSession session, long offset, long length)
    {
        if (length <= 0)
        {
            return;
        }

        try
        {
            using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(5));
            await session.WaitForRangeAsync(offset, length, limit.Token);
        }
        catch (Exception ex) when (ex is OperationCanceledException or InvalidOperationException)
        {
            // Only a hint: the reader asks again when it gets there.
        }
    }

    private static Task PlainAsync(HttpResponse response, int status, string message) => RangeResponse.PlainAsync(response, status, message);
}
