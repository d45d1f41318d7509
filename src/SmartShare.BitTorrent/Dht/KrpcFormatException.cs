namespace SmartShare.BitTorrent.Dht;

/// <summary>
/// A datagram that is not a KRPC message we can use. When it was recognisably a query (a dictionary with
/// <c>y = q</c> and a usable <c>t</c>) whose arguments were wrong, <see cref="QueryTransactionId"/> holds its
/// transaction id so the sender can be told with error 203.
/// </summary>
public sealed class KrpcFormatException : FormatException
{
    public KrpcFormatException()
    {
    }

    public KrpcFormatException(string message)
        : base(message)
    {
    }

    public KrpcFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public KrpcFormatException(string message, ReadOnlyMemory<byte> queryTransactionId)
        : base(message)
    {
        QueryTransactionId = queryTransactionId;
    }

    /// <summary>The transaction id of a malformed query, to answer with a protocol error; empty otherwise.</summary>
    public ReadOnlyMemory<byte> QueryTransactionId { get; }

    /// <summary>True when the datagram was a query that deserves a 203 answer.</summary>
    public bool IsAnswerableQuery => !QueryTransactionId.IsEmpty;
}
