using System.Diagnostics;

namespace SmartShare.Interop.Tests.Clients;

/// <summary>
/// Finds the third-party programs the interop tests drive. A missing one fails the test with a sentence
/// naming the Debian package that <c>scripts/test</c> installs; nothing is skipped silently.
/// </summary>
public static class InteropTools
{
    private static readonly Lazy<string?> PythonLibtorrentProblem = new(ProbePythonLibtorrent);

    /// <summary>Debian's Python, which has the libtorrent bindings (another python3 on PATH may not).</summary>
    public static string Python
    {
        get
        {
            var python = Require("/usr/bin/python3", "python3-libtorrent");
            if (PythonLibtorrentProblem.Value is { } problem)
            {
                Assert.Fail($"{python} cannot import libtorrent ({problem}); scripts/test installs the Debian package python3-libtorrent.");
            }

            return python;
        }
    }

    public static string OpenTracker => Require("/usr/bin/opentracker", "opentracker");

    public static string Aria2c => Require("/usr/bin/aria2c", "aria2");

    public static string TransmissionCli => Require("/usr/bin/transmission-cli", "transmission-cli");

    /// <summary>Transmission's command-line remote (3.00 in Debian 12), a client of its RPC.</summary>
    public static string TransmissionRemote => Require("/usr/bin/transmission-remote", "transmission-cli");

    public static string MkTorrent => Require("/usr/bin/mktorrent", "mktorrent");

    public static string Stdbuf => Require("/usr/bin/stdbuf", "coreutils");

    /// <summary>lt_peer.py, copied next to the test assembly.</summary>
    public static string LibtorrentPeerScript
    {
        get
        {
            var path = Path.Combine(AppContext.BaseDirectory, "Clients", "lt_peer.py");
            Assert.True(File.Exists(path), $"lt_peer.py is not next to the test assembly: {path}");
            return path;
        }
    }

    /// <summary>lt_dht.py (pure libtorrent DHT nodes), copied next to the test assembly.</summary>
    public static string LibtorrentDhtScript
    {
        get
        {
            var path = Path.Combine(AppContext.BaseDirectory, "Clients", "lt_dht.py");
            Assert.True(File.Exists(path), $"lt_dht.py is not next to the test assembly: {path}");
            return path;
        }
    }

    /// <summary>Returns <paramref name="path"/> when it exists and fails the test otherwise.</summary>
    public static string Require(string path, string debianPackage)
    {
        if (!File.Exists(path))
        {
            Assert.Fail($"{path} is missing: the interop tests need the Debian package {debianPackage}, which scripts/test installs (or run: sudo apt-get install {debianPackage}).");
        }

        return path;
    }

    private static string? ProbePythonLibtorrent()
    {
        try
        {
            var startInfo = new ProcessStartInfo("/usr/bin/python3", ["-c", "import libtorrent"])
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
                UseShellExecute = false,
            };
            using var process = Process.Start(startInfo);
            if (process is null)
            {
                return "could not start it";
            }

            var error = process.StandardError.ReadToEnd();
            if (!process.WaitForExit(30_000))
            {
                process.Kill();
                return "the import did not finish within 30 s";
            }

            return process.ExitCode == 0 ? null : error.Trim();
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return ex.Message;
        }
    }
}
