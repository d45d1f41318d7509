using System.Diagnostics;
using System.Globalization;

namespace SmartShare.Tests.Shared;

/// <summary>
/// How much of a file the kernel holds in its page cache, from util-linux's <c>fincore</c>: the witness that a write
/// went past the cache. Compiled into each test project that needs it (linked source).
/// </summary>
internal static class PageCache
{
    /// <summary>The bytes of <paramref name="path"/> resident in the page cache.</summary>
    public static long ResidentBytes(string path)
    {
        var start = new ProcessStartInfo("fincore", ["--bytes", "--noheadings", "--output", "RES", path])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException("fincore did not start.");
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"fincore {path} ended with {process.ExitCode}: {error.Trim()}");
        }

        return long.Parse(output.Trim(), CultureInfo.InvariantCulture);
    }
}
