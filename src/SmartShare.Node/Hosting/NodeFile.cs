using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SmartShare.Node.Hosting;

/// <summary>
/// The file <see cref="FileName"/> in a data directory that names the node running on it: its bound API address and
/// its process id. A started node writes it (atomically, owner-only) once its API listens and removes it on a clean
/// stop; the CLI reads it to reach that node. A file whose process is gone (a node that crashed) counts as absent.
/// </summary>
public sealed record NodeFile(Uri Api, int ProcessId)
{
    public const string FileName = "node.json";

    private const int MaxBytes = 4096;

    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public static string PathIn(string dataDirectory) => Path.Combine(dataDirectory, FileName);

    /// <summary>The node running on <paramref name="dataDirectory"/>, or null when there is none (no file, a damaged one, or its process is gone).</summary>
    public static NodeFile? Read(string dataDirectory)
    {
        ArgumentNullException.ThrowIfNull(dataDirectory);
        var path = PathIn(dataDirectory);
        if (!File.Exists(path))
        {
            // The usual answer when no node runs, told without the exception the read below would throw.
            return null;
        }

        JsonObject? content;
        try
        {
            content = ReadContent(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
        {
            return null;
        }

        if (content?["api"] is not JsonValue apiValue || !apiValue.TryGetValue<string>(out var api)
            || !Uri.TryCreate(api, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttp
            || content["pid"] is not JsonValue pidValue || !pidValue.TryGetValue<int>(out var pid))
        {
            return null;
        }

        return IsAlive(pid) ? new NodeFile(uri, pid) : null;
    }

    /// <summary>Writes the file for this process (temporary file, then rename, readable by the owner only).</summary>
    public static void Write(string dataDirectory, Uri api)
    {
        ArgumentNullException.ThrowIfNull(dataDirectory);
        ArgumentNullException.ThrowIfNull(api);
        Directory.CreateDirectory(dataDirectory);
        var path = PathIn(dataDirectory);
        var temporary = path + ".tmp";
        File.Delete(temporary);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = OwnerOnly;
        }

        var content = new JsonObject { ["api"] = api.GetLeftPart(UriPartial.Authority), ["pid"] = Environment.ProcessId };
        using (var stream = new FileStream(temporary, options))
        {
            stream.Write(Encoding.UTF8.GetBytes(content.ToJsonString() + "\n"));
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Removes the file if this process wrote it (another node started on the directory since keeps its own).</summary>
    public static void RemoveOwn(string dataDirectory)
    {
        ArgumentNullException.ThrowIfNull(dataDirectory);
        try
        {
            var path = PathIn(dataDirectory);
            var content = ReadContent(path);
            if (content?["pid"] is JsonValue pid && pid.TryGetValue<int>(out var id) && id == Environment.ProcessId)
            {
                File.Delete(path);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
        {
            // Best effort: a file left behind names a process that is gone, which readers ignore.
        }
    }

    // A few dozen bytes when the node wrote it; read like any local file (no FIFO can stall, nothing large is read).
    private static JsonObject? ReadContent(string path) =>
        JsonNode.Parse(SmartShare.IO.LocalFile.ReadAllWithin(path, MaxBytes, "a node.json file")) as JsonObject;

    private static bool IsAlive(int processId)
    {
        if (processId == Environment.ProcessId)
        {
            return true;
        }

        try
        {
            using var process = Process.GetProcessById(processId);
            return !process.HasExited;
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
        {
            return false;
        }
    }
}
