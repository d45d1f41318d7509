using System.Globalization;
using SmartShare.BitTorrent;
using SmartShare.BitTorrent.Metainfo;

namespace SmartShare.Interop.Tests.Clients;

/// <summary>Makes .torrent files with mktorrent, for a single file or a folder (multi-file torrent).</summary>
public static class MkTorrent
{
    /// <summary>
    /// Runs <c>mktorrent [-a announce] -l pieceLengthLog2 -o output content</c> and returns the output path.
    /// Without an announce URL the torrent has no tracker (peers are then given directly or found by DHT).
    /// </summary>
    public static async Task<string> CreateAsync(string contentPath, string outputPath, string? announceUrl = null, int pieceLengthLog2 = 16)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pieceLengthLog2, 15);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(pieceLengthLog2, 28);
        List<string> arguments = [];
        if (announceUrl is not null)
        {
            arguments.AddRange(["-a", announceUrl]);
        }

        arguments.AddRange(["-l", pieceLengthLog2.ToString(CultureInfo.InvariantCulture), "-o", outputPath, contentPath]);
        await using var process = ToolProcess.Start("mktorrent", InteropTools.MkTorrent, arguments);
        var exitCode = await process.WaitForExitAsync(TimeSpan.FromSeconds(60));
        Assert.True(exitCode == 0 && File.Exists(outputPath), $"mktorrent failed.\n{process.Describe()}");
        return outputPath;
    }

    /// <summary>The info hash of a .torrent file (v1, SHA-1 of the info dictionary).</summary>
    public static InfoHash InfoHashOf(string torrentPath) => TorrentParser.Parse(File.ReadAllBytes(torrentPath)).InfoHash;
}
