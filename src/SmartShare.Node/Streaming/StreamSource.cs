namespace SmartShare.Node.Streaming;

/// <summary>
/// One file of one transfer as <c>/stream</c> serves it, whichever network carries it: its name and length, the
/// path of the whole file when it is complete on disk, else a writer of byte ranges that raises the range's
/// priority in the download and waits for its data to be verified.
/// </summary>
public abstract class StreamSource : IAsyncDisposable
{
    /// <summary>The file's name, for its type and the download name.</summary>
    public abstract string FileName { get; }

    public abstract long Length { get; }

    /// <summary>The complete file on disk, served as it is; null while it downloads.</summary>
    public abstract string? CompletePath { get; }

    /// <summary>Writes the bytes of <paramref name="range"/> to <paramref name="body"/> as they are verified.</summary>
    /// <exception cref="StreamUnavailableException">The data cannot be read (the answer has not started yet if thrown first).</exception>
    public abstract Task WriteRangeAsync(ByteRange range, Stream body, CancellationToken cancellationToken);

    public virtual ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }
}
