namespace SmartShare.IO;

/// <summary>
/// A local path that <see cref="LocalFile"/> will not read: missing, not a regular file, on a pseudo file system,
/// unreadable or too large. The message names the path and the problem, never anything the file holds.
/// </summary>
public sealed class LocalFileException : IOException
{
    public LocalFileException()
        : base("The local file cannot be read.")
    {
        Path = string.Empty;
    }

    public LocalFileException(string message)
        : base(message)
    {
        Path = string.Empty;
    }

    public LocalFileException(string message, Exception innerException)
        : base(message, innerException)
    {
        Path = string.Empty;
    }

    public LocalFileException(string path, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Path = path;
    }

    /// <summary>The path as it was given.</summary>
    public string Path { get; }
}
