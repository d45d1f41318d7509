using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;
using SmartShare.IO;
using SmartShare.Node.Hosting;
using SmartShare.Node.Http;
using SmartShare.Storage;

namespace SmartShare.Node.Web;

/// <summary>
/// <c>POST /upload?name=NAME</c>: a file the web UI's user dropped, stored in the data directory's <c>uploads</c>
/// folder so the node can share it (<c>stream_create</c> with the path answered). The body is the file itself, sent
/// as <c>application/octet-stream</c>: a type a page on another site cannot send without a CORS preflight the node
/// never grants. It is written under a temporary name and renamed to a free name ("a (1).mp4") only when whole and on
/// disk, so a cut upload or a full disk leaves nothing behind but a sentence.
/// </summary>
internal sealed class UploadEndpoint(NodeRuntime runtime)
{
    public const string Path = "/upload";

    /// <summary>Bytes of a stored name at most (file systems allow 255; room is left for " (n)").</summary>
    private const int MaxNameBytes = 200;

    private const int CopyBufferBytes = 1024 * 1024;

    public string Folder => System.IO.Path.Combine(runtime.DataDirectory, "uploads");

    /// <summary>Deletes the partial files of uploads a killed node left behind; run at start, before any request.</summary>
    public void RemoveLeftovers()
    {
        if (!Directory.Exists(Folder))
        {
            return;
        }

        foreach (var path in Directory.EnumerateFiles(Folder, ".upload-*.partial"))
        {
            File.Delete(path);
        }
    }

    public async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var type) || !type.MediaType.Equals("application/octet-stream", StringComparison.OrdinalIgnoreCase))
        {
            await ApiRefusal.WriteAsync(context, StatusCodes.Status415UnsupportedMediaType, "An upload is the file itself: send it with Content-Type: application/octet-stream.");
            return;
        }

        if (SafeName(request.Query["name"]) is not { } name)
        {
            await ApiRefusal.WriteAsync(context, StatusCodes.Status400BadRequest, "An upload needs a file name: POST /upload?name=NAME (a name, not a path).");
            return;
        }

        Directory.CreateDirectory(Folder);
        if (request.ContentLength is { } length && length > FreeSpace())
        {
            await ApiRefusal.WriteAsync(context, StatusCodes.Status507InsufficientStorage, $"{name} is {length:N0} bytes, more than the {FreeSpace():N0} bytes free in {Folder}.");
            return;
        }

        // The disk is the only bound on what a user may upload to their own node.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = null;
        }

        var temp = System.IO.Path.Combine(Folder, $".upload-{Guid.NewGuid():N}.partial");
        try
        {
            long size;
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.Asynchronous))
            {
                await request.Body.CopyToAsync(file, CopyBufferBytes, context.RequestAborted);
                await file.FlushAsync(context.RequestAborted);
                file.Flush(flushToDisk: true);
                size = file.Length;
            }

            var path = MoveToFreeName(temp, name);
            FileDurability.FlushDirectory(Folder);
            context.Response.ContentType = "application/json; charset=utf-8";
            var answer = new JsonObject { ["path"] = path, ["name"] = System.IO.Path.GetFileName(path), ["size"] = size };
            await context.Response.WriteAsync(answer.ToJsonString(), context.RequestAborted);
        }
        catch (IOException ex) when (DiskErrors.IsDiskFull(ex))
        {
            await ApiRefusal.WriteAsync(context, StatusCodes.Status507InsufficientStorage, $"The disk holding {Folder} is full; {name} was not kept.");
        }
        catch (Exception ex) when (ex is OperationCanceledException or BadHttpRequestException or IOException && context.RequestAborted.IsCancellationRequested)
        {
            // The browser cancelled or went away: nothing is kept, nobody is left to answer.
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary>The last segment of a name a browser sent, without control characters, or null when nothing usable is left.</summary>
    internal static string? SafeName(string? raw)
    {
        if (string.IsNullOrWhiteSpace(raw))
        {
            return null;
        }

        var name = raw.Replace('\\', '/');
        name = name[(name.LastIndexOf('/') + 1)..];
        name = new string([.. name.Where(c => !char.IsControl(c))]).Trim().TrimEnd('.', ' ');
        if (name.Length == 0 || name.StartsWith(".upload-", StringComparison.Ordinal))
        {
            return null;
        }

        if (Encoding.UTF8.GetByteCount(name) <= MaxNameBytes)
        {
            return name;
        }

        var extension = System.IO.Path.GetExtension(name);
        extension = Encoding.UTF8.GetByteCount(extension) > 20 ? string.Empty : extension;
        var stem = name[..^extension.Length];
        while (Encoding.UTF8.GetByteCount(stem) + Encoding.UTF8.GetByteCount(extension) > MaxNameBytes)
        {
            stem = stem[..^(char.IsLowSurrogate(stem[^1]) && stem.Length > 1 ? 2 : 1)];
        }

        return stem + extension;
    }

    private string MoveToFreeName(string temp, string name)
    {
        var stem = System.IO.Path.GetFileNameWithoutExtension(name);
        var extension = System.IO.Path.GetExtension(name);
        for (var n = 0; n < 10_000; n++)
        {
            var candidate = System.IO.Path.Combine(Folder, n == 0 ? name : $"{stem} ({n}){extension}");
            if (File.Exists(candidate) || Directory.Exists(candidate))
            {
                continue;
            }

            try
            {
                NoClobberRename.Move(temp, candidate);
                return candidate;
            }
            catch (IOException) when (File.Exists(candidate) || Directory.Exists(candidate))
            {
                // Taken between the look and the rename: the next number.
            }
        }

        throw new IOException($"{Folder} already holds 10,000 files named like {name}.");
    }

    private long FreeSpace()
    {
        try
        {
            return new DriveInfo(Folder).AvailableFreeSpace;
        }
        catch (Exception ex) when (ex is IOException or ArgumentException or UnauthorizedAccessException)
        {
            return long.MaxValue;
        }
    }
}
