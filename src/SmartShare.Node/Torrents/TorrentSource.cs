using SmartShare.Bencode;
using SmartShare.BitTorrent.Metainfo;
using SmartShare.IO;
using SmartShare.Threading;

namespace SmartShare.Node.Torrents;

/// <summary>
/// Where a <c>get</c> of a torrent reads its metainfo: a .torrent file path or an http(s) URL serving one. Both are
/// read with the metainfo size cap, so a huge file or endless response costs nothing.
/// </summary>
public static class TorrentSource
{
    private static readonly TimeSpan FetchTimeLimit = TimeSpan.FromSeconds(30);

    /// <summary>Whether <paramref name="target"/> is a magnet link (its metadata then comes from peers).</summary>
    public static bool IsMagnet(string target) =>
        target is not null && target.TrimStart().StartsWith("magnet:", StringComparison.OrdinalIgnoreCase);

    /// <summary>Whether <paramref name="target"/> names a torrent rather than a stream.</summary>
    public static bool IsTorrent(string target)
    {
        ArgumentNullException.ThrowIfNull(target);
        var text = target.Trim();
        return text.EndsWith(".torrent", StringComparison.OrdinalIgnoreCase)
            || text.StartsWith("magnet:", StringComparison.OrdinalIgnoreCase)
            || text.StartsWith("http://", StringComparison.OrdinalIgnoreCase)
            || text.StartsWith("https://", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// The metainfo bytes of a .torrent path or URL, checked to parse; <see cref="FormatException"/> (or
    /// <see cref="LocalFileException"/> for a path that is not a small regular file) with a sentence when it cannot be
    /// read. The sentence never quotes what the file or response holds.
    /// </summary>
    public static async Task<byte[]> ReadAsync(string target, HttpClient http, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(http);
        var text = target.Trim();
        if (Uri.TryCreate(text, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps))
        {
            return await FetchAsync(uri, http, time, cancellationToken);
        }

        if (!Path.Exists(text))
        {
            throw new FormatException($"There is no .torrent file at \"{text}\".");
        }

        // Refuses all but a small regular file (no FIFO wait, no endless device), reading no more than the cap.
        var bytes = LocalFile.ReadAllWithin(text, TorrentLimits.MaxMetainfoBytes, "a .torrent file");
        Check(bytes, $"\"{text}\"");
        return bytes;
    }

    // Parses once here so a bad file is refused in our own words: the parser's sentences may quote names or bytes
    // from the file, and whoever calls the API must not read a local file (or a URL's answer) through them.
    private static void Check(byte[] bytes, string source)
    {
        try
        {
            TorrentParser.Parse(bytes);
        }
        catch (TorrentFormatException ex) when (ex.ContentFreeReason is { } reason)
        {
            // A torrent, but a hostile one (a path that would leave the download folder …): say what, quoting nothing.
            throw new FormatException($"{source} is a torrent SmartShare refuses: {reason}.", ex);
        }
        catch (TorrentFormatException ex)
        {
            throw new FormatException(bytes.Length == 0
                ? $"{source} is not a .torrent file: it is empty."
                : ex.InnerException is BencodeFormatException
                ? $"{source} is not a .torrent file: it is not bencoded data (or it was cut short)."
                : $"{source} is not a .torrent file: it is bencoded, but a field a v1 torrent needs (info, name, piece length, pieces, length or files …) is missing, of the wrong type or out of range.");
        }
    }

    private static async Task<byte[]> FetchAsync(Uri uri, HttpClient http, TimeProvider time, CancellationToken cancellationToken)
    {
        using var limit = new TimeLimit(FetchTimeLimit, time, cancellationToken);
        try
        {
            using var response = await http.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, limit.Token);
            if (!response.IsSuccessStatusCode)
            {
                throw new FormatException($"{uri} answered {(int)response.StatusCode} {response.ReasonPhrase}, not a .torrent file.");
            }

            await using var body = await response.Content.ReadAsStreamAsync(limit.Token);
            using var buffer = new MemoryStream();
            var chunk = new byte[81920];
            int read;
            while ((read = await body.ReadAsync(chunk, limit.Token)) > 0)
            {
                if (buffer.Length + read > TorrentLimits.MaxMetainfoBytes)
                {
                    throw new FormatException($"{uri} sent more than {TorrentLimits.MaxMetainfoBytes} bytes; a .torrent file is smaller, so this is not one.");
                }

                buffer.Write(chunk, 0, read);
            }

            var bytes = buffer.ToArray();
            Check(bytes, uri.ToString());
            return bytes;
        }
        catch (HttpRequestException ex)
        {
            throw new FormatException($"Could not fetch {uri}: {ex.Message}", ex);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new FormatException($"{uri} did not send a .torrent file within {FetchTimeLimit.TotalSeconds:0} s.");
        }
    }
}
