using System.Globalization;
using System.Text.Json.Nodes;

namespace SmartShare.Interop.Tests.Clients;

/// <summary>What kind of torrent libtorrent's creator makes.</summary>
public enum LibtorrentTorrentKind
{
    /// <summary>libtorrent 2.0's default: v1 and v2 in one info dictionary, pad files between files.</summary>
    Hybrid,
    V1,
    V2,
}

/// <summary>Makes .torrent files with libtorrent's own creator (lt_create.py), for the hybrid and v2 forms mktorrent cannot make.</summary>
public static class LibtorrentCreator
{
    /// <summary>Creates the torrent at <paramref name="outputPath"/>; returns its v1 and v2 info hashes as hex (null when it has none).</summary>
    public static async Task<(string? V1, string? V2)> CreateAsync(string contentPath, string outputPath, LibtorrentTorrentKind kind, int pieceLength = 32768)
    {
        var script = Path.Combine(AppContext.BaseDirectory, "Clients", "lt_create.py");
        Assert.True(File.Exists(script), $"lt_create.py is not next to the test assembly: {script}");
        var arguments = new JsonObject
        {
            ["content"] = contentPath,
            ["output"] = outputPath,
            ["piece_length"] = pieceLength.ToString(CultureInfo.InvariantCulture),
            ["kind"] = kind.ToString().ToLowerInvariant(),
        };
        await using var process = ToolProcess.Start("lt_create.py", InteropTools.Python, [script, arguments.ToJsonString()], workingDirectory: Path.GetDirectoryName(script));
        var exitCode = await process.WaitForExitAsync(TimeSpan.FromSeconds(60));
        var line = process.Output.LastOrDefault(text => text.Contains("\"created\"", StringComparison.Ordinal));
        Assert.True(exitCode == 0 && line is not null && File.Exists(outputPath), $"lt_create.py failed.\n{process.Describe()}");
        var created = JsonNode.Parse(line[line.IndexOf('{', StringComparison.Ordinal)..])!;
        return (created["v1"]?.GetValue<string>(), created["v2"]?.GetValue<string>());
    }
}
