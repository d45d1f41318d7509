using System.Runtime.InteropServices;

namespace SmartShare.IO;

/// <summary>Whether this process may create files in a folder, asked of the kernel without writing anything.</summary>
public static partial class FolderAccess
{
    private const int WriteOk = 2;
    private const int ExecuteOk = 1;

    /// <summary>
    /// Null when this process may create files in <paramref name="folder"/>, else the system's reason ("Read-only file
    /// system", "Permission denied"). On Linux and macOS this is <c>access(2)</c>, which answers for a read-only mount even
    /// to root and changes nothing (not even the folder's modification time); elsewhere a file is created and deleted.
    /// </summary>
    public static string? WhyNotWritable(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD())
        {
            return Access(folder, WriteOk | ExecuteOk) == 0 ? null : Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError());
        }

        try
        {
            var probe = Path.Combine(folder, $".smartshare-write-check-{Guid.NewGuid():N}");
            using var file = new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose);
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return ex.Message.Split(" : '")[0].TrimEnd('.');
        }
    }

    [LibraryImport("libc", EntryPoint = "access", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Access(string path, int mode);
}
