using Microsoft.Win32.SafeHandles;
using SmartShare.IO;
using SmartShare.Storage;

namespace SmartShare.Lbry.Streams;

/// <summary>
/// The file a stream is decrypted into: written in order under a hidden <c>.NAME.TAG.partial</c> name in the
/// download folder and moved to a free, sanitized name only when complete, so no partial file ever carries the
/// real name and no existing file is ever overwritten. Disposing an incomplete file deletes it, unless it is the
/// record a resumed download goes on from (<see cref="Resume"/>).
/// </summary>
public sealed class StreamOutputFile : IDisposable
{
    private const int MaxNumberedNames = 10_000;

    private readonly string _directory;
    private readonly string _name;
    private SafeFileHandle? _handle;
    private readonly bool _directWrites;
    private DirectWriter? _writer;
    private bool _finished;

    private StreamOutputFile(string directory, string name, string partialPath, SafeFileHandle handle, bool directWrites)
    {
        _directory = directory;
        _name = name;
        PartialPath = partialPath;
        _handle = handle;
        _directWrites = directWrites;
    }

    /// <summary>Where the bytes go until the file is complete.</summary>
    public string PartialPath { get; }

    /// <summary>Plaintext bytes written so far.</summary>
    public long Length { get; private set; }

    /// <summary>
    /// The complete file as this wrote it (a strict stamp, taken through the handle after the flush and the rename;
    /// nobody else could write the partial file, opened without write sharing): while the file keeps it, its bytes are
    /// the ones written here.
    /// </summary>
    public FileStamp Stamp { get; private set; } = FileStamp.Unknown;

    /// <summary>
    /// Starts the file for <paramref name="suggestedName"/> in <paramref name="downloadDirectory"/>. A
    /// <paramref name="tag"/> names the partial file so a resumed download replaces its own leftover from a
    /// killed run instead of leaving it behind; without one, a random tag is used. <paramref name="directWrites"/> false
    /// writes through the page cache (see <see cref="Append"/>).
    /// </summary>
    public static StreamOutputFile Create(string downloadDirectory, string suggestedName, string? tag = null, bool directWrites = true)
    {
        ArgumentNullException.ThrowIfNull(downloadDirectory);
        ArgumentNullException.ThrowIfNull(suggestedName);
        tag ??= Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(4));
        return Open(downloadDirectory, suggestedName, tag, FileMode.Create, FileAccess.Write, directWrites);
    }

    /// <summary>
    /// Opens the partial file a stopped or killed download left under <paramref name="tag"/>, or starts it: its bytes
    /// are kept (<see cref="Length"/> is the file's length) for the caller to check and cut with <see cref="Truncate"/>,
    /// and disposing it keeps the partial file for the next resume (<see cref="KeepPartial"/>).
    /// </summary>
    public static StreamOutputFile Resume(string downloadDirectory, string suggestedName, string tag, bool directWrites = true)
    {
        ArgumentNullException.ThrowIfNull(tag);
        var output = Open(downloadDirectory, suggestedName, tag, FileMode.OpenOrCreate, FileAccess.ReadWrite, directWrites);
        output.KeepPartial = true;
        try
        {
            output.Length = RandomAccess.GetLength(output._handle!);
            return output;
        }
        catch
        {
            output.Dispose();
            throw;
        }
    }

    /// <summary>Where the partial file of <paramref name="suggestedName"/> under <paramref name="tag"/> lies.</summary>
    public static string PartialPathFor(string downloadDirectory, string suggestedName, string tag)
    {
        ArgumentNullException.ThrowIfNull(downloadDirectory);
        ArgumentNullException.ThrowIfNull(suggestedName);
        ArgumentNullException.ThrowIfNull(tag);
        return Path.Combine(Path.GetFullPath(downloadDirectory), $".{FileNameSanitizer.ForDownload(suggestedName)}.{FileNameSanitizer.ForDownload(tag)}.partial");
    }

    /// <summary>Whether disposing an incomplete file keeps it (it is then the record a resumed download goes on from).</summary>
    public bool KeepPartial { get; set; }

    /// <summary>The open partial file, for reading back what was written.</summary>
    internal SafeFileHandle Handle => _handle ?? throw new ObjectDisposedException(nameof(StreamOutputFile));

    /// <summary>Cuts the file to its first <paramref name="length"/> bytes (what a resumed download found good).</summary>
    public void Truncate(long length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        try
        {
            RandomAccess.SetLength(Handle, length);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw DiskErrors.Explain(ex, _directory);
        }

        Length = length;
    }

    private static StreamOutputFile Open(string downloadDirectory, string suggestedName, string tag, FileMode mode, FileAccess access, bool directWrites)
    {
        var directory = Path.GetFullPath(downloadDirectory);
        var name = FileNameSanitizer.ForDownload(suggestedName);
        var partial = PartialPathFor(directory, suggestedName, tag);
        try
        {
            Directory.CreateDirectory(directory);
            var handle = File.OpenHandle(partial, mode, access, FileShare.Read);
            return new StreamOutputFile(directory, name, partial, handle, directWrites);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw DiskErrors.Explain(ex, directory);
        }
    }

    /// <summary>Bytes the writer copied into aligned memory for their direct write (none from a <see cref="DirectWriteBuffer"/> placed for its offset).</summary>
    public long StagedBytes => _writer?.StagedBytes ?? 0;

    /// <summary>
    /// Appends the next plaintext bytes, their whole blocks past the page cache where the file system allows
    /// (<see cref="DirectWriter"/>): the download reads the file back only for a player streaming it or a resume's check.
    /// </summary>
    public void Append(ReadOnlySpan<byte> plaintext)
    {
        var handle = _handle ?? throw new ObjectDisposedException(nameof(StreamOutputFile));
        try
        {
            _writer ??= DirectWriter.For(handle, _directWrites);
            _writer.Write(plaintext, Length);

            // Start writing back now, so the flush at the end waits for little instead of the whole file.
            FileDurability.StartWriteback(handle);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw DiskErrors.Explain(ex, _directory);
        }

        Length += plaintext.Length;
    }

    /// <summary>Makes the bytes durable and moves the file to its final, free name, which it returns.</summary>
    public string Complete()
    {
        var handle = _handle ?? throw new ObjectDisposedException(nameof(StreamOutputFile));
        try
        {
            RandomAccess.FlushToDisk(handle);
            _writer?.Dispose();
            _writer = null;
            if (OperatingSystem.IsWindows())
            {
                // An open file cannot be renamed there; nor has it a change time for the stamp to keep.
                Stamp = FileStamp.Of(handle);
                handle.Dispose();
                _handle = null;
            }

            var path = MoveToFreeName(PartialPath, _directory, _name);
            _finished = true;

            // Elsewhere stamped after the rename, which moves the change time, through the handle the bytes went in by.
            if (_handle is not null)
            {
                Stamp = FileStamp.Strict(handle);
                handle.Dispose();
                _handle = null;
            }

            return path;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw DiskErrors.Explain(ex, _directory);
        }
    }

    public void Dispose()
    {
        Interlocked.Exchange(ref _writer, null)?.Dispose();
        Interlocked.Exchange(ref _handle, null)?.Dispose();
        if (_finished)
        {
            return;
        }

        _finished = true;
        if (KeepPartial)
        {
            return;
        }

        try
        {
            File.Delete(PartialPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Best effort: the partial name is hidden and a resumed download reuses it.
        }
    }

    private static string MoveToFreeName(string temp, string directory, string name)
    {
        var (stem, extension) = FileNameSanitizer.SplitExtension(name);
        for (var n = 0; n < MaxNumberedNames; n++)
        {
            var candidate = Path.Combine(directory, n == 0 ? name : $"{stem}_{n}{extension}");
            if (!string.Equals(Path.GetDirectoryName(Path.GetFullPath(candidate)), directory, StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"The file name '{name}' would leave {directory}.");
            }

            if (File.Exists(candidate) || Directory.Exists(candidate))
            {
                continue;
            }

            try
            {
                File.Move(temp, candidate, overwrite: false);
                return candidate;
            }
            catch (IOException) when (File.Exists(candidate) || Directory.Exists(candidate))
            {
                // Someone took the name between the check and the move; try the next number.
            }
        }

        throw new IOException($"Every name from {name} to {stem}_{MaxNumberedNames - 1}{extension} is taken in {directory}.");
    }
}
