namespace SmartShare.Storage;

/// <summary>Recognizes the I/O errors that deserve their own sentence rather than the runtime's text.</summary>
public static class DiskErrors
{
    private const int Enospc = 28;
    private const int Edquot = 122;
    private const int WindowsDiskFull = unchecked((int)0x80070070);
    private const int WindowsHandleDiskFull = unchecked((int)0x80070027);

    public static bool IsDiskFull(Exception exception) =>
        exception is IOException { HResult: Enospc or Edquot or WindowsDiskFull or WindowsHandleDiskFull };

    /// <summary>Turns a disk-full error into a sentence naming the folder; returns other errors unchanged.</summary>
    public static Exception Explain(Exception exception, string folder) =>
        IsDiskFull(exception)
            ? new StorageException(
                $"The disk holding {folder} is full. Free some space and try again; nothing incomplete was kept.",
                exception)
            : exception;
}
