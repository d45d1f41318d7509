namespace SmartShare.Node.Api;

/// <summary>Thrown by a method handler to answer with a JSON-RPC error; the message is a sentence for a person.</summary>
public sealed class JsonRpcException : Exception
{
    public JsonRpcException()
        : this(JsonRpcErrorCodes.InternalError, "Internal error.")
    {
    }

    public JsonRpcException(string message)
        : this(JsonRpcErrorCodes.ServerError, message)
    {
    }

    public JsonRpcException(string message, Exception innerException)
        : base(message, innerException)
    {
        Code = JsonRpcErrorCodes.ServerError;
    }

    public JsonRpcException(int code, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Code = code;
    }

    public int Code { get; }

    public static JsonRpcException InvalidParams(string message) => new(JsonRpcErrorCodes.InvalidParams, message);
}
