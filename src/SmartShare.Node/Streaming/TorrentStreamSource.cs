using System.Buffers;
using SmartShare.BitTorrent;
using SmartShare.BitTorrent.Engine;
using SmartShare.BitTorrent.Metainfo;
using SmartShare.BitTorrent.Storage;
using SmartShare.Node.Torrents;

namespace SmartShare.Node.Streaming;

/// <summary>
/// A file of a torrent for <c>/stream</c>: from its file once the torrent seeds; while it downloads, each piece as
/// soon as it is verified (with the verified pieces after it, up to 1 MiB a write), the pieces under the range (plus
/// a few ahead) fetched before all others.
/// </summary>
internal sealed class TorrentStreamSource : StreamSource
{
    private const int ChunkBytes = 1024 * 1024;
    private const int PiecesAhead = 4;

    private readonly TorrentSession _session;
    private readonly TorrentFile _file;
    private readonly TimeProvider _time;

    private TorrentStreamSource(TorrentSession session, TorrentFile file, string path, bool complete, TimeProvider time)
    {
        _session = session;
        _time = time;
        _file = file;
        FileName = path;
        CompletePath = complete ? path : null;
    }

    public override string FileName { get; }

    public override long Length => _file.Length;

    public override string? CompletePath { get; }

    /// <exception cref="StreamUnavailableException">Not listed, not running, or no such file, with a sentence.</exception>
    public static TorrentStreamSource Open(TorrentManager torrents, InfoHash hash, int? fileIndex, TimeProvider time)
    {
        var record = torrents.Find(hash)
            ?? throw new StreamUnavailableException(404, $"The node has no torrent {hash}; `get` it first.");
        var session = torrents.Session(hash)
            ?? throw new StreamUnavailableException(
                409, $"The torrent {hash} is {record.Status.ToString().ToLowerInvariant()}{(record.Error is null ? string.Empty : ": " + record.Error)}; start it (file_set_status) or `get` it again.");
        var info = session.Torrent.Info;
        if (fileIndex is null && info.Files.Count > 1)
        {
            var list = string.Join("\n", info.Files.Select((file, i) => $"  /stream/{hash}/{i}  {string.Join('/', file.Path)} ({file.Length} bytes)"));
            throw new StreamUnavailableException(400, $"The torrent {record.Name} holds {info.Files.Count} files; name one:\n{list}");
        }

        var index = fileIndex ?? 0;
        if (index < 0 || index >= info.Files.Count)
        {
            throw new StreamUnavailableException(404, $"The torrent {record.Name} has files 0 to {info.Files.Count - 1}, not {index}.");
        }

        var path = session.Storage.FilePaths[index];
        return new TorrentStreamSource(session, info.Files[index], path, session.State == TorrentState.Seeding && File.Exists(path), time);
    }

    public override async Task WriteRangeAsync(ByteRange range, Stream body, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        var pieceLength = _session.Torrent.Info.PieceLength;
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkBytes);
        try
        {
            for (var position = range.First; position <= range.Last;)
            {
                var offset = _file.Offset + position;
                var end = _file.Offset + range.Last + 1;

                // Ask for the pieces after this one too, without waiting for them.
                var pieceEnd = Math.Min(end, ((offset / pieceLength) + 1) * pieceLength);
                var aheadEnd = Math.Min(end, pieceEnd + Math.Max(ChunkBytes, (long)PiecesAhead * pieceLength));
                _ = Prefetch(_session, pieceEnd, aheadEnd - pieceEnd, _time);
                await _session.WaitForRangeAsync(offset, pieceEnd - offset, cancellationToken);
                var length = NextChunk(offset, end, pieceLength, _session.HasRange);
                await _session.Storage.ReadAsync(offset, buffer.AsMemory(0, length), cancellationToken);
                await body.WriteAsync(buffer.AsMemory(0, length), cancellationToken);
                position += length;
            }
        }
        catch (TorrentStorageException ex)
        {
            throw new StreamUnavailableException(500, ex.Message, ex);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// How many bytes to send from <paramref name="offset"/> (whose piece is verified): to the end of that piece and
    /// on through the pieces after it already verified, at most <see cref="ChunkBytes"/> and not past
    /// <paramref name="end"/>. A player gets each piece as soon as it verifies, never held back for the pieces
    /// after it.
    /// </summary>
    internal static int NextChunk(long offset, long end, long pieceLength, Func<long, long, bool> verified)
    {
        var limit = Math.Min(end, offset + ChunkBytes);
        var chunkEnd = Math.Min(limit, ((offset / pieceLength) + 1) * pieceLength);
        while (chunkEnd < limit)
        {
            var next = Math.Min(limit, chunkEnd + pieceLength - (chunkEnd % pieceLength));
            if (!verified(chunkEnd, next - chunkEnd))
            {
                break;
            }

            chunkEnd = next;
        }

        return (int)(chunkEnd - offset);
    }

    private static async Task Prefetch(TorrentSession session, long offset, long length, TimeProvider time)
    {
        if (length <= 0)
        {
            return;
        }

        try
        {
            using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(5), time);
            await session.WaitForRangeAsync(offset, length, limit.Token);
        }
        catch (Exception ex) when (ex is OperationCanceledException or InvalidOperationException)
        {
            // Only a hint: the reader asks again when it gets there.
        }
    }
}
