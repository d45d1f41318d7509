using SmartShare.IO;

namespace SmartShare.Node.Transfers;

/// <summary>
/// Whether a download folder can be written, asked before anything is fetched for it: a folder on a read-only disk,
/// or one the node may not write, is refused with a sentence naming it rather than failing the transfer later. Asking
/// writes nothing (<see cref="FolderAccess"/>): a request refused for another reason leaves the folder as it was.
/// </summary>
internal static class DownloadFolderCheck
{
    /// <summary>
    /// Checks that files can be created in the folder, or, while it does not exist yet, that it can be created: its
    /// nearest existing parent must be writable. Creates nothing.
    /// </summary>
    /// <exception cref="IOException">The folder cannot be created or written; the message names it.</exception>
    public static void EnsureWritable(string folder)
    {
        var full = Path.GetFullPath(folder);
        string? reason;
        try
        {
            reason = FolderAccess.WhyNotWritable(NearestExisting(full, refuseFiles: true));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            reason = ex.Message.TrimEnd('.');
        }

        if (reason is not null)
        {
            throw new IOException(
                $"The download folder {full} cannot be written to ({reason}). Choose another folder or make this one writable; nothing was fetched.");
        }
    }

    /// <summary>The folder itself when it exists, else its nearest existing parent (the disk it will be made on).</summary>
    /// <exception cref="IOException"><paramref name="refuseFiles"/> and the path, or a parent, is a file (or a device, a FIFO).</exception>
    public static string NearestExisting(string folder, bool refuseFiles = false)
    {
        var existing = folder;
        while (!Directory.Exists(existing) && Path.GetDirectoryName(existing) is { } parent)
        {
            if (refuseFiles && File.Exists(existing))
            {
                throw new IOException($"{existing} is a file, not a folder");
            }

            existing = parent;
        }

        return existing;
    }
}
