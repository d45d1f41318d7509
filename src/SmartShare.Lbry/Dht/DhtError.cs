namespace SmartShare.Lbry.Dht;

/// <summary>
/// A DHT error datagram: lbry-sdk puts Python's exception type (such as <c>&lt;class 'ValueError'&gt;</c>) and
/// its message; clients look only at the message, for example <c>Invalid token</c>.
/// </summary>
public sealed class DhtError : DhtMessage
{
    public const string ValueErrorType = "<class 'ValueError'>";

    public DhtError(ReadOnlyMemory<byte> rpcId, ReadOnlyMemory<byte> nodeId, string exceptionType, string message)
        : base(rpcId, nodeId)
    {
        ExceptionType = exceptionType ?? throw new ArgumentNullException(nameof(exceptionType));
        Message = message ?? throw new ArgumentNullException(nameof(message));
    }

    public string ExceptionType { get; }

    public string Message { get; }
}
