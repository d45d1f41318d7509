using System.Text.RegularExpressions;

namespace SmartShare.Storage;

/// <summary>Recognizes the I/O errors that deserve their own sentence rather than the runtime's text.</summary>
public static partial class DiskErrors
{
    private const int Enospc = 28;
    private const int Edquot = 122;
    private const int WindowsDiskFull = unchecked((int)0x80070070);
    private const int WindowsHandleDiskFull = unchecked((int)0x80070027);

    public static bool IsDiskFull(Exception exception) =>
        exception is IOException { HResult: Enospc or Edquot or WindowsDiskFull or WindowsHandleDiskFull };

    /// <summary>
    /// Whether a full disk is the cause of <paramref name="exception"/> or of anything it wraps (a download's own error
    /// may wrap the writer's, which wraps the system's), with the folder when a <see cref="DiskFullException"/> names it.
    /// </summary>
    public static bool CausedByFullDisk(Exception exception, out string? folder)
    {
        folder = null;
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is DiskFullException full)
            {
                folder = full.Folder;
                return true;
            }

            if (IsDiskFull(current))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Turns a disk-full error into a sentence naming the folder; returns other errors unchanged.</summary>
    public static Exception Explain(Exception exception, string folder) =>
        IsDiskFull(exception)
            ? new DiskFullException(
                folder,
                $"The disk holding {folder} is full. Free some space and try again; nothing incomplete was kept.",
                exception)
            : exception;

    /// <summary>
    /// The error a transfer paused by a full disk shows: it names the folder, and the node goes on by itself once the
    /// folder's disk has room again (<see cref="TryGetPausedFolder"/> reads the folder back).
    /// </summary>
    public static string PausedSentence(string folder) =>
        $"The disk holding {folder} is full; paused until there is free space there, then it goes on by itself (the verified data is kept).";

    /// <summary>The folder of an error written by <see cref="PausedSentence"/>, or false for any other error.</summary>
    public static bool TryGetPausedFolder(string? error, out string folder)
    {
        var match = error is null ? Match.Empty : PausedPattern().Match(error);
        folder = match.Success ? match.Groups[1].Value : "";
        return match.Success;
    }

    [GeneratedRegex(@"^The disk holding (.+) is full; paused until there is free space there, then it goes on by itself", RegexOptions.CultureInvariant)]
    private static partial Regex PausedPattern();
}

/// <summary>A write failed because the disk holding <see cref="Folder"/> is full.</summary>
public sealed class DiskFullException(string folder, string message, Exception innerException) : StorageException(message, innerException)
{
    public string Folder { get; } = folder;
}
