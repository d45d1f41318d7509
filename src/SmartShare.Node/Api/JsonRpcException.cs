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

    /// <summary>
    /// What went wrong in one word (<c>bad_source</c>, <c>missing_blob</c>, <c>disk_full</c> …), sent as the error's
    /// <c>data.kind</c> so a client (the CLI) can say the same as when it did the work itself; null when none fits.
    /// </summary>
    public string? Kind { get; init; }

    public static JsonRpcException InvalidParams(string message) => new(JsonRpcErrorCodes.InvalidParams, message);

    /// <summary>This exception with <see cref="Kind"/> set.</summary>
    public JsonRpcException WithKind(string kind) => new(Code, Message, InnerException) { Kind = kind };
}
