namespace SmartShare.Node.Api;

/// <summary>JSON-RPC 2.0 error codes, as lbrynet answers them.</summary>
public static class JsonRpcErrorCodes
{
    public const int ParseError = -32700;
    public const int InvalidRequest = -32600;
    public const int MethodNotFound = -32601;
    public const int InvalidParams = -32602;
    public const int InternalError = -32603;

    /// <summary>Server-defined range: the request was understood but the node cannot do it now (for example no DHT peers).</summary>
    public const int ServerError = -32000;
}
