namespace SmartShare.Node.Client;

/// <summary>Nothing listens at the API address: no node is running there.</summary>
public sealed class NodeNotRunningException : NodeApiException
{
    public NodeNotRunningException()
    {
    }

    public NodeNotRunningException(string message)
        : base(message)
    {
    }

    public NodeNotRunningException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public NodeNotRunningException(Uri apiUri, Exception? innerException = null)
        : base(0, $"No SmartShare node is running at {Authority(apiUri)}; start one with `smartshare start`.", innerException)
    {
        ApiUri = apiUri;
    }

    public Uri? ApiUri { get; }

    private static string Authority(Uri uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        return uri.GetLeftPart(UriPartial.Authority);
    }
}
