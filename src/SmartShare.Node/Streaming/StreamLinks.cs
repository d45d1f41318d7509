namespace SmartShare.Node.Streaming;

/// <summary>
/// The <c>/stream</c> URLs the API hands out. When the API needs a password, each URL carries its transfer's own
/// token, so a media player can open it without the password and the URL opens nothing else.
/// </summary>
public sealed class StreamLinks(Uri apiUri, Func<string, string?> token)
{
    public Uri ApiUri { get; } = apiUri;

    /// <summary>The URL of transfer <paramref name="hash"/> (sd hash or info hash), or of its file <paramref name="index"/>.</summary>
    public string Url(string hash, int? index = null)
    {
        ArgumentNullException.ThrowIfNull(hash);
        var path = index is { } file ? $"/stream/{hash}/{file}" : $"/stream/{hash}";
        var query = token(hash) is { } value ? "?token=" + value : string.Empty;
        return new Uri(ApiUri, path + query).ToString();
    }
}
