using Microsoft.Win32.SafeHandles;
using SmartShare.IO;
using SmartShare.Storage;

namespace SmartShare.Lbry.Streams;

/// <summary>
/// The file a stream is decrypted into: written in order under a hidden <c>.NAME.TAG.partial</c> name in the
/// download folder and moved to a free, sanitized name only when complete, so no partial file ever carries the
/// real name and no existing file is ever overwritten. Disposing an incomplete file deletes it.
/// </summary>
public sealed class StreamOutputFile : IDisposable
{
    private const int MaxNumberedNames = 10_000;

    private readonly string _directory;
    private readonly string _name;
    private SafeFileHandle? _handle;
    private bool _finished;

    private StreamOutputFile(string directory, string name, string partialPath, SafeFileHandle handle)
    {
        _directory = directory;
        _name = name;
        PartialPath = partialPath;
        _handle = handle;
    }

    /// <summary>Where the bytes go until the file is complete.</summary>
    public string PartialPath { get; }

    /// <summary>Plaintext bytes written so far.</summary>
    public long Length { get; private set; }

    /// <summary>
    /// The complete file as this wrote it (taken before the rename, which keeps it; nobody else could write the partial
    /// file, opened without write sharing): while the file keeps it, its bytes are the ones written here.
    /// </summary>
    public FileStamp Stamp { get; private set; } = FileStamp.Unknown;

    /// <summary>
    /// Starts the file for <paramref name="suggestedName"/> in <paramref name="downloadDirectory"/>. A
    /// <paramref name="tag"/> names the partial file so a resumed download replaces its own leftover from a
    /// killed run instead of leaving it behind; without one, a random tag is used.
    /// </summary>
    public static StreamOutputFile Create(string downloadDirectory, string suggestedName, string? tag = null)
    {
        ArgumentNullException.ThrowIfNull(downloadDirectory);
        ArgumentNullException.ThrowIfNull(suggestedName);
        var directory = Path.GetFullPath(downloadDirectory);
        var name = FileNameSanitizer.ForDownload(suggestedName);
        tag ??= Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(4));
        var partial = Path.Combine(directory, $".{name}.{FileNameSanitizer.ForDownload(tag)}.partial");
        try
        {
            Directory.CreateDirectory(directory);
            var handle = File.OpenHandle(partial, FileMode.Create, FileAccess.Write, FileShare.Read);
            return new StreamOutputFile(directory, name, partial, handle);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw DiskErrors.Explain(ex, directory);
        }
    }

    /// <summary>Appends the next plaintext bytes.</summary>
    public void Append(ReadOnlySpan<byte> plaintext)
    {
        var handle = _handle ?? throw new ObjectDisposedException(nameof(StreamOutputFile));
        try
        {
            RandomAccess.Write(handle, plaintext, Length);

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
            Stamp = FileStamp.Of(handle);
            handle.Dispose();
            _handle = null;
            var path = MoveToFreeName(PartialPath, _directory, _name);
            _finished = true;
            return path;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw DiskErrors.Explain(ex, _directory);
        }
    }

    public void Dispose()
    {
        Interlocked.Exchange(ref _handle, null)?.Dispose();
        if (_finished)
        {
            return;
        }

        _finished = true;
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
