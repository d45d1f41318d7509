using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;

namespace SmartShare.BitTorrent.Storage;

/// <summary>Checking pieces against their SHA-1: one piece as it is read, or many at once on every core.</summary>
public sealed partial class TorrentStorage
{
    /// <summary>
    /// Reads piece <paramref name="piece"/> into the start of <paramref name="buffer"/> and checks its SHA-1. False when
    /// it does not match or its data cannot be read (missing, short or unreadable file).
    /// </summary>
    public async ValueTask<bool> VerifyPieceAsync(int piece, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var size = Info.GetPieceSize(piece);
        if (buffer.Length < size)
        {
            throw new ArgumentException($"Piece {piece} needs a buffer of {size} bytes, not {buffer.Length}.", nameof(buffer));
        }

        Interlocked.Increment(ref _piecesHashed);
        try
        {
            var problem = await TryReadAsync((long)piece * Info.PieceLength, buffer[..size], cancellationToken).ConfigureAwait(false);
            return problem is null && HashMatches(buffer.Span[..size], Info.GetPieceHash(piece));
        }
        catch (TorrentStorageException)
        {
            // Unreadable data (a bad sector, no permission) is as good as missing for checking a piece.
            return false;
        }
    }

    /// <summary>
    /// Re-hashes <paramref name="pieces"/> (all when null) with up to <see cref="Environment.ProcessorCount"/> workers,
    /// each with one pooled piece buffer, and returns the pieces that match. Progress receives the number of pieces
    /// checked so far, from the workers' threads (so two reports may arrive out of order).
    /// </summary>
    public async Task<Bitfield> RecheckAsync(IEnumerable<int>? pieces, IProgress<int>? progress, CancellationToken cancellationToken)
    {
        var count = Info.PieceCount;
        var list = pieces?.ToArray() ?? Enumerable.Range(0, count).ToArray();
        foreach (var piece in list)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(piece, nameof(pieces));
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(piece, count, nameof(pieces));
        }

        // A recheck asks about the disk as it is now: a handle cached before a file was deleted or replaced would
        // still read the old data.
        CloseIdleHandles();
        var matches = new bool[count];
        var next = -1;
        var checkedCount = 0;
        var bufferSize = count == 0 ? 0 : Info.GetPieceSize(0);
        var workers = Math.Min(Environment.ProcessorCount, list.Length);
        var tasks = new Task[workers];
        for (var w = 0; w < workers; w++)
        {
            tasks[w] = Task.Run(
                async () =>
                {
                    var buffer = ArrayPool<byte>.Shared.Rent(bufferSize);
                    try
                    {
                        int k;
                        while ((k = Interlocked.Increment(ref next)) < list.Length)
                        {
                            cancellationToken.ThrowIfCancellationRequested();
                            var piece = list[k];
                            if (await VerifyPieceAsync(piece, buffer, cancellationToken).ConfigureAwait(false))
                            {
                                matches[piece] = true;
                            }

                            progress?.Report(Interlocked.Increment(ref checkedCount));
                        }
                    }
                    finally
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                    }
                },
                cancellationToken);
        }

        await Task.WhenAll(tasks).ConfigureAwait(false);
        var result = new Bitfield(count);
        for (var i = 0; i < count; i++)
        {
            if (matches[i])
            {
                result[i] = true;
            }
        }

        return result;
    }

    [SuppressMessage("Security", "CA5350:Do Not Use Weak Cryptographic Algorithms", Justification = "BitTorrent v1 piece hashes are SHA-1.")]
    internal static bool HashMatches(ReadOnlySpan<byte> data, ReadOnlySpan<byte> expected)
    {
        Span<byte> hash = stackalloc byte[InfoHash.Length];
        SHA1.HashData(data, hash);
        return hash.SequenceEqual(expected);
    }
}
