using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Security.Cryptography;
using System.Text;
using SmartShare.Bencode;
using SmartShare.IO;

namespace SmartShare.BitTorrent.Metainfo;

/// <summary>
/// Creates v1 .torrent files from a file or a folder. Pieces are hashed with SHA-1 by streaming the files in order
/// through one pooled buffer with positional reads, so memory stays constant whatever the size.
/// </summary>
public static class TorrentCreator
{
    /// <summary>Automatic piece lengths stop here: bigger pieces make a slow peer's partial piece too costly.</summary>
    public const int MaxAutomaticPieceLength = 16 * 1024 * 1024;

    // Aim for 1,000 to 2,000 pieces: fewer makes swarming coarse, more makes the metainfo and bitfields big.
    private const int TargetMaxPieces = 2000;

    private const int ReadBufferSize = 1024 * 1024;

    /// <summary>
    /// Hashes <paramref name="path"/> (a file, or a folder whose files are taken in ordinal order of their relative
    /// paths) and returns the encoded .torrent and its parsed form.
    /// </summary>
    /// <param name="pieceLength">A power of two from 16 KiB to 64 MiB, or null to pick one giving about 1,000 to 2,000 pieces.</param>
    /// <param name="announce">The tracker URL to write as <c>announce</c>, if any.</param>
    /// <param name="progress">Receives the number of bytes hashed so far.</param>
    /// <exception cref="ArgumentException">The piece length is invalid, the path holds no data, or a name cannot go in a torrent.</exception>
    /// <exception cref="IOException">A file could not be read, changed size while hashing, or a symlink leaves the folder.</exception>
    /// <exception cref="LocalFileException">The file, or an entry in the folder, is not a regular file (a FIFO, socket, device …).</exception>
    /// <exception cref="OperationCanceledException">Cancelled.</exception>
    public static (byte[] TorrentBytes, Torrent Torrent) Create(
        string path,
        int? pieceLength = null,
        string? announce = null,
        IProgress<long>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var fullPath = Path.GetFullPath(Path.TrimEndingDirectorySeparator(path));
        var name = Path.GetFileName(fullPath);
        CheckName(name, fullPath);

        var isSingleFile = !Directory.Exists(fullPath);
        List<SourceFile> sources;
        if (!Path.Exists(fullPath))
        {
            throw new FileNotFoundException($"There is no file or folder at \"{fullPath}\" to make a torrent of.", fullPath);
        }
        else if (isSingleFile)
        {
            sources = [new SourceFile(fullPath, [name], RegularFileLength(fullPath))];
        }
        else
        {
            sources = ListFolder(fullPath);
        }

        var total = sources.Sum(source => source.Length);
        if (total < 1)
        {
            throw new ArgumentException($"\"{fullPath}\" holds no data; a torrent needs at least one byte.", nameof(path));
        }

        if (total > TorrentLimits.MaxTotalLength)
        {
            throw new ArgumentException($"\"{fullPath}\" holds more than {TorrentLimits.MaxTotalLength} bytes.", nameof(path));
        }

        var chosenPieceLength = pieceLength ?? ChoosePieceLength(total);
        if (chosenPieceLength < TorrentLimits.MinPieceLength || chosenPieceLength > TorrentLimits.MaxPieceLength
            || !BitOperations.IsPow2(chosenPieceLength))
        {
            throw new ArgumentException(
                $"The piece length {chosenPieceLength} is not a power of two from {TorrentLimits.MinPieceLength} to {TorrentLimits.MaxPieceLength} bytes.",
                nameof(pieceLength));
        }

        var pieces = HashPieces(sources, total, chosenPieceLength, progress, cancellationToken);
        var info = BuildInfo(name, isSingleFile, sources, chosenPieceLength, pieces);
        var entries = new List<BencodeEntry>
        {
            new(BencodeKey.FromAscii("created by"), BencodeByteString.FromAscii("SmartShare")),
            new(BencodeKey.FromAscii("info"), info),
        };
        if (announce is not null)
        {
            entries.Add(new(BencodeKey.FromAscii("announce"), new BencodeByteString(Encoding.UTF8.GetBytes(announce))));
        }

        var bytes = BencodeEncoder.Encode(new BencodeDictionary(entries), BencodeMode.Strict);
        return (bytes, TorrentParser.Parse(bytes));
    }

    /// <summary>The smallest power of two from 16 KiB to 16 MiB that cuts <paramref name="totalLength"/> into at most 2,000 pieces.</summary>
    public static int ChoosePieceLength(long totalLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(totalLength);
        var pieceLength = TorrentLimits.MinPieceLength;
        while (pieceLength < MaxAutomaticPieceLength && (totalLength + pieceLength - 1) / pieceLength > TargetMaxPieces)
        {
            pieceLength *= 2;
        }

        return pieceLength;
    }

    private static BencodeDictionary BuildInfo(string name, bool isSingleFile, List<SourceFile> sources, int pieceLength, byte[] pieces)
    {
        var entries = new List<BencodeEntry>
        {
            new(BencodeKey.FromAscii("name"), Utf8(name)),
            new(BencodeKey.FromAscii("piece length"), new BencodeInteger(pieceLength)),
            new(BencodeKey.FromAscii("pieces"), new BencodeByteString(pieces)),
        };
        if (isSingleFile)
        {
            entries.Add(new(BencodeKey.FromAscii("length"), new BencodeInteger(sources[0].Length)));
        }
        else
        {
            var files = sources.Select(source => (BencodeValue)new BencodeDictionary(
            [
                new(BencodeKey.FromAscii("length"), new BencodeInteger(source.Length)),
                new(BencodeKey.FromAscii("path"), new BencodeList(source.Components.Select(component => (BencodeValue)Utf8(component)))),
            ]));
            entries.Add(new(BencodeKey.FromAscii("files"), new BencodeList(files)));
        }

        return new BencodeDictionary(entries);
    }

    private static BencodeByteString Utf8(string text) => new(Encoding.UTF8.GetBytes(text));

    [SuppressMessage("Security", "CA5350:Do Not Use Weak Cryptographic Algorithms", Justification = "BitTorrent v1 piece hashes are SHA-1.")]
    private static byte[] HashPieces(List<SourceFile> sources, long total, int pieceLength, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        var pieceCount = (total + pieceLength - 1) / pieceLength;
        if (pieceCount > TorrentLimits.MaxPieceCount)
        {
            throw new ArgumentException($"{total} bytes in pieces of {pieceLength} make more than {TorrentLimits.MaxPieceCount} pieces; choose a larger piece length.", nameof(pieceLength));
        }

        var pieces = new byte[pieceCount * InfoHash.Length];
        var buffer = ArrayPool<byte>.Shared.Rent(ReadBufferSize);
        try
        {
            using var sha1 = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
            long hashed = 0;
            var inPiece = 0;
            var pieceIndex = 0;
            foreach (var source in sources)
            {
                using var handle = LocalFile.OpenRead(source.FullPath, FileOptions.SequentialScan);
                long position = 0;
                while (position < source.Length)
                {
                    cancellationToken.ThrowIfCancellationRequested();

                    // Never read across a piece boundary, so each chunk belongs to exactly one piece.
                    var want = (int)Math.Min(Math.Min(buffer.Length, pieceLength - inPiece), source.Length - position);
                    var read = RandomAccess.Read(handle, buffer.AsSpan(0, want), position);
                    if (read == 0)
                    {
                        throw new IOException($"\"{source.FullPath}\" shrank while it was being hashed; try again when it is no longer being written.");
                    }

                    sha1.AppendData(buffer, 0, read);
                    position += read;
                    inPiece += read;
                    hashed += read;
                    if (inPiece == pieceLength)
                    {
                        sha1.GetHashAndReset(pieces.AsSpan(pieceIndex++ * InfoHash.Length, InfoHash.Length));
                        inPiece = 0;
                    }

                    progress?.Report(hashed);
                }
            }

            if (inPiece > 0)
            {
                sha1.GetHashAndReset(pieces.AsSpan(pieceIndex++ * InfoHash.Length, InfoHash.Length));
            }

            return pieces;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static List<SourceFile> ListFolder(string root)
    {
        var files = new List<SourceFile>();
        AddFolder(root, root, [], files);
        if (files.Count > TorrentLimits.MaxFiles)
        {
            throw new ArgumentException($"\"{root}\" holds {files.Count} files; a torrent may hold at most {TorrentLimits.MaxFiles}.", nameof(root));
        }

        // Ordinal order of relative paths makes the same folder give the same torrent on every machine.
        files.Sort((left, right) => string.CompareOrdinal(string.Join('/', left.Components), string.Join('/', right.Components)));
        return files;
    }

    private static void AddFolder(string root, string folder, List<string> prefix, List<SourceFile> files)
    {
        // The depth cap also stops a symlink loop inside the folder.
        if (prefix.Count >= TorrentLimits.MaxPathDepth)
        {
            throw new IOException($"\"{folder}\" is nested more than {TorrentLimits.MaxPathDepth} folders deep below \"{root}\".");
        }

        foreach (var entry in new DirectoryInfo(folder).EnumerateFileSystemInfos())
        {
            CheckName(entry.Name, entry.FullName);
            var target = entry;
            if (entry.LinkTarget is not null)
            {
                target = entry.ResolveLinkTarget(returnFinalTarget: true);
                if (target is null || !target.Exists || !IsUnder(root, target.FullName))
                {
                    throw new IOException($"The symbolic link \"{entry.FullName}\" points outside \"{root}\"; remove it or copy its target in.");
                }
            }

            List<string> components = [.. prefix, entry.Name];
            if (target is DirectoryInfo)
            {
                AddFolder(root, entry.FullName, components, files);
            }
            else
            {
                // Measured on the opened file, which also refuses FIFOs, sockets and devices in the folder: a torrent
                // of them could not be hashed (a FIFO would block, a device never end) nor seeded.
                try
                {
                    files.Add(new SourceFile(entry.FullName, components, RegularFileLength(entry.FullName)));
                }
                catch (LocalFileException ex)
                {
                    throw new LocalFileException(ex.Path, $"{ex.Message} Move it out of \"{root}\" to make a torrent of the folder.", ex);
                }
            }
        }
    }

    // The length of a regular file, read from the opened handle (so through a symlink, the target's).
    private static long RegularFileLength(string path)
    {
        using var handle = LocalFile.OpenRead(path);
        return RandomAccess.GetLength(handle);
    }

    private static bool IsUnder(string root, string path)
    {
        var full = Path.GetFullPath(path);
        return full == root || full.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal);
    }

    private static void CheckName(string name, string fullPath)
    {
        if (TorrentPaths.IsUnsafe(name, out var problem))
        {
            throw new ArgumentException($"\"{fullPath}\" cannot go in a torrent: its name {problem}.", nameof(fullPath));
        }
    }

    private sealed record SourceFile(string FullPath, IReadOnlyList<string> Components, long Length);
}
