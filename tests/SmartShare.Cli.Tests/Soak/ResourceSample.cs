using System.Globalization;

namespace SmartShare.Cli.Tests.Soak;

/// <summary>One reading of a process: resident memory, open file descriptors and threads, from /proc.</summary>
/// <param name="ElapsedSeconds">Since the soak began.</param>
/// <param name="Lifetime">Which run of the node (1 for the first, 2 after the first restart, ...).</param>
internal sealed record ResourceSample(double ElapsedSeconds, int Lifetime, int ProcessId, long RssKib, int FileDescriptors, int Threads)
{
    public const string CsvHeader = "elapsed_s,lifetime,pid,rss_kib,fds,threads";

    public string ToCsv() => string.Create(
        CultureInfo.InvariantCulture, $"{ElapsedSeconds:0.0},{Lifetime},{ProcessId},{RssKib},{FileDescriptors},{Threads}");

    /// <summary>Reads /proc/PID/status (VmRSS, Threads) and counts /proc/PID/fd; null when the process is gone.</summary>
    public static ResourceSample? Read(int processId, double elapsedSeconds, int lifetime)
    {
        try
        {
            long rss = -1;
            var threads = -1;
            foreach (var line in File.ReadLines($"/proc/{processId}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    rss = long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
                }
                else if (line.StartsWith("Threads:", StringComparison.Ordinal))
                {
                    threads = int.Parse(line["Threads:".Length..].Trim(), CultureInfo.InvariantCulture);
                }
            }

            var fds = Directory.EnumerateFileSystemEntries($"/proc/{processId}/fd").Count();
            return rss < 0 || threads < 0 ? null : new ResourceSample(elapsedSeconds, lifetime, processId, rss, fds, threads);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }
}
