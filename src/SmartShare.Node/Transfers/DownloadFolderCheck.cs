namespace SmartShare.Node.Transfers;

/// <summary>
/// Whether a download folder can be written, tried before anything is fetched for it: a folder on a read-only disk,
/// or one the node may not write, is refused with a sentence naming it rather than failing the transfer later.
/// </summary>
internal static class DownloadFolderCheck
{
    /// <summary>Creates the folder if needed and writes (and deletes) a small file in it.</summary>
    /// <exception cref="IOException">The folder cannot be created or written; the message names it.</exception>
    public static void EnsureWritable(string folder)
    {
        var full = Path.GetFullPath(folder);
        try
        {
            Directory.CreateDirectory(full);
            var probe = Path.Combine(full, $".smartshare-write-check-{Guid.NewGuid():N}");
            using var file = new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose);
            file.WriteByte(0);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException && !Storage.DiskErrors.IsDiskFull(ex))
        {
            // A full disk is not refused here: the transfer pauses on it and goes on once there is room. The runtime's
            // text names the probe file after " : "; the folder is named already.
            var reason = ex.Message.Split(" : '")[0].TrimEnd('.');
            throw new IOException(
                $"The download folder {full} cannot be written to ({reason}). Choose another folder or make this one writable; nothing was fetched.",
                ex);
        }
    }
}
