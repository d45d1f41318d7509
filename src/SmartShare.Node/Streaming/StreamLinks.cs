namespace SmartShare.Node.Streaming;

/// <summary>
/// The <c>/stream</c> URLs the API hands out. When the API needs a password, each URL carries its transfer's own
/// token, so a media player can open it without the password and the URL opens nothing else. URLs are made for the
/// address the caller reached the API at (its Host, already checked to be one of the node's names), so a client on
/// another machine gets a URL it can open, not 0.0.0.0 or 127.0.0.1.
/// </summary>
public sealed class StreamLinks(Uri apiUri, Func<string, string?> token, Func<string?>? callerHost = null)
{
    public Uri ApiUri { get; } = apiUri;

    /// <summary>The URL of transfer <paramref name="hash"/> (sd hash or info hash), or of its file <paramref name="index"/>.</summary>
    public string Url(string hash, int? index = null)
    {
        ArgumentNullException.ThrowIfNull(hash);
        var path = index is { } file ? $"/stream/{hash}/{file}" : $"/stream/{hash}";
        var query = token(hash) is { } value ? "?token=" + value : string.Empty;
        var host = callerHost?.Invoke();
        var root = host is null ? ApiUri : new Uri($"{ApiUri.Scheme}://{host}/");
        return new Uri(root, path + query).ToString();
    }
}
