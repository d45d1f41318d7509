namespace SmartShare.Node.Client;

/// <summary>The node answered a call with an error, or its answer could not be understood.</summary>
public class NodeApiException : Exception
{
    public NodeApiException()
    {
    }

    public NodeApiException(string message)
        : base(message)
    {
    }

    public NodeApiException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public NodeApiException(int code, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Code = code;
    }

    /// <summary>The JSON-RPC error code (see <see cref="Api.JsonRpcErrorCodes"/>), or 0 when there was no JSON-RPC answer.</summary>
    public int Code { get; }

    /// <summary>The error's <c>data.kind</c> (<c>bad_source</c>, <c>missing_blob</c> …) when the node gave one.</summary>
    public string? Kind { get; init; }
}
