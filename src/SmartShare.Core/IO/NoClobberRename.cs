using System.Runtime.InteropServices;

namespace SmartShare.IO;

/// <summary>
/// Renames a file onto a name only if nothing is there, in one step: on Linux with renameat2(RENAME_NOREPLACE), so
/// a file that appears at the destination between any check and the rename is never replaced. Elsewhere, or on a
/// file system without that flag, .NET's File.Move without overwrite.
/// </summary>
public static partial class NoClobberRename
{
    private const int AtFdCwd = -100;
    private const uint RenameNoReplace = 1;
    private const int EExist = 17;
    private const int EInvalid = 22;
    private const int ENoSys = 38;
    private const int ENotSupported = 95;

    /// <summary>Moves <paramref name="source"/> to <paramref name="destination"/>, or throws <see cref="IOException"/> when the destination exists.</summary>
    public static void Move(string source, string destination)
    {
        ArgumentException.ThrowIfNullOrEmpty(source);
        ArgumentException.ThrowIfNullOrEmpty(destination);
        if (OperatingSystem.IsLinux())
        {
            if (RenameAt2(AtFdCwd, source, AtFdCwd, destination, RenameNoReplace) == 0)
            {
                return;
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno == EExist)
            {
                throw new IOException($"\"{destination}\" already exists; it was left as it is.", errno);
            }

            if (errno is not (EInvalid or ENoSys or ENotSupported))
            {
                throw new IOException($"Cannot rename \"{source}\" to \"{destination}\": {Marshal.GetPInvokeErrorMessage(errno)}.", errno);
            }
        }

        File.Move(source, destination, overwrite: false);
    }

    [LibraryImport("libc", EntryPoint = "renameat2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int RenameAt2(int oldDirectory, string oldPath, int newDirectory, string newPath, uint flags);
}
