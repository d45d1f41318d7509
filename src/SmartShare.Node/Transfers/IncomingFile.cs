namespace SmartShare.Node.Transfers;

/// <summary>
/// A .torrent or .smartshare file that arrives as bytes (a file dropped on the web UI, Transmission's
/// <c>torrent-add</c> <c>metainfo</c>) rather than as a path: written under the data directory's <c>incoming</c>
/// folder with a random name, handed to <see cref="TransferManager.AddAsync"/> as a path, and deleted once the
/// transfer is added (the networks keep what they read from it, never the file).
/// </summary>
public static class IncomingFile
{
    /// <summary>The largest file accepted: metainfo of a torrent with millions of pieces is still well under it.</summary>
    public const int MaxLength = 16 * 1024 * 1024;

    /// <summary>Adds the transfer the file describes, as <see cref="TransferManager.AddAsync"/> does for a path.</summary>
    /// <param name="kind">".torrent" or ".smartshare": how the networks tell the file apart.</param>
    /// <param name="displayName">The file's name as the user knows it, for messages (never the temporary path).</param>
    /// <exception cref="FormatException">The content is empty, too large, or of neither kind.</exception>
    public static async Task<TransferAdded> AddAsync(
        TransferManager transfers,
        string dataDirectory,
        ReadOnlyMemory<byte> content,
        string kind,
        string displayName,
        TransferRequest request,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(transfers);
        ArgumentNullException.ThrowIfNull(request);
        if (kind is not (".torrent" or ".smartshare"))
        {
            throw new FormatException($"A file to add must be a .torrent or a .smartshare file, not '{kind}'.");
        }

        if (content.IsEmpty)
        {
            throw new FormatException($"The {kind} file is empty.");
        }

        if (content.Length > MaxLength)
        {
            throw new FormatException($"The {kind} file is {content.Length:N0} bytes; at most {MaxLength:N0} are accepted.");
        }

        var folder = Path.Combine(dataDirectory, "incoming");
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, $"{Guid.NewGuid():N}{kind}");
        try
        {
            await File.WriteAllBytesAsync(path, content, cancellationToken);
            return await transfers.AddAsync(request with { Target = path }, cancellationToken);
        }
        catch (FormatException ex) when (ex.Message.Contains(path, StringComparison.Ordinal))
        {
            throw new FormatException(ex.Message.Replace(path, displayName, StringComparison.Ordinal), ex);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>A file's bytes sent as base64 (the web UI's <c>content_base64</c>, Transmission's <c>metainfo</c>), bounded before decoding.</summary>
    /// <param name="what">The argument's name, for the message.</param>
    /// <exception cref="FormatException">Longer than a <see cref="MaxLength"/>-byte file, or not base64 (a sentence says which).</exception>
    public static byte[] Decode(string base64, string what)
    {
        ArgumentNullException.ThrowIfNull(base64);
        if (base64.Length > ((MaxLength + 2) / 3 * 4) + 4)
        {
            throw new FormatException($"{what} is longer than a {MaxLength:N0}-byte file.");
        }

        try
        {
            return Convert.FromBase64String(base64);
        }
        catch (FormatException)
        {
            throw new FormatException($"{what} is not base64.");
        }
    }

    /// <summary>
    /// Deletes what a node killed in the middle of an add left under <c>incoming</c> (the files live only for the
    /// add's duration); run at start, before any request.
    /// </summary>
    public static void RemoveLeftovers(string dataDirectory)
    {
        var folder = Path.Combine(dataDirectory, "incoming");
        if (!Directory.Exists(folder))
        {
            return;
        }

        foreach (var path in Directory.EnumerateFiles(folder))
        {
            var name = Path.GetFileName(path);
            if (name.EndsWith(".torrent", StringComparison.Ordinal) || name.EndsWith(".smartshare", StringComparison.Ordinal))
            {
                File.Delete(path);
            }
        }
    }

    /// <summary>".torrent" or ".smartshare" from a file name, or from the content when the name says neither.</summary>
    public static string KindOf(string? fileName, ReadOnlySpan<byte> content)
    {
        var extension = Path.GetExtension(fileName ?? string.Empty).ToLowerInvariant();
        if (extension is ".torrent" or ".smartshare")
        {
            return extension;
        }

        // Metainfo is a bencoded dictionary ('d'); a .smartshare file is JSON ('{' after any white space).
        foreach (var b in content)
        {
            if (b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
            {
                continue;
            }

            return b == (byte)'d' ? ".torrent" : ".smartshare";
        }

        return ".torrent";
    }
}
