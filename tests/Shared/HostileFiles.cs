using System.Diagnostics;
using System.Net.Sockets;

namespace SmartShare.Tests.Shared;

/// <summary>
/// A folder of paths that are not regular files: a FIFO (made with mkfifo), a unix socket file, a symlink to
/// /dev/zero named like a .torrent, plus the system's own /dev/zero and /proc/self/environ. Compiled into each test
/// project that needs them (linked source). Deleted on dispose.
/// </summary>
internal sealed class HostileFiles : IDisposable
{
    private readonly Socket _socket;

    public HostileFiles()
    {
        Folder = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "smartshare-hostile-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Folder);
        Fifo = System.IO.Path.Combine(Folder, "pipe.smartshare");
        MakeFifo(Fifo);
        SocketFile = System.IO.Path.Combine(Folder, "socket.torrent");
        _socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _socket.Bind(new UnixDomainSocketEndPoint(SocketFile));
        ZeroTorrentLink = System.IO.Path.Combine(Folder, "zero.torrent");
        File.CreateSymbolicLink(ZeroTorrentLink, DevZero);
    }

    public const string DevZero = "/dev/zero";

    public const string ProcEnviron = "/proc/self/environ";

    public string Folder { get; }

    public string Fifo { get; }

    public string SocketFile { get; }

    /// <summary>x/zero.torrent → /dev/zero.</summary>
    public string ZeroTorrentLink { get; }

    /// <summary>Makes one more FIFO at <paramref name="path"/>.</summary>
    public static void MakeFifo(string path)
    {
        using var mkfifo = Process.Start(new ProcessStartInfo("mkfifo", [path]) { UseShellExecute = false })!;
        mkfifo.WaitForExit();
        if (mkfifo.ExitCode != 0)
        {
            throw new InvalidOperationException($"mkfifo {path} exited with {mkfifo.ExitCode}.");
        }
    }

    public void Dispose()
    {
        _socket.Dispose();
        Directory.Delete(Folder, recursive: true);
    }
}
