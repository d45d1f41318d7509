namespace SmartShare.Lbry.BlobExchange;

/// <summary>Bytes that are not a well-formed blob-exchange request or response; the reader drops the connection.</summary>
public sealed class BlobExchangeFormatException : FormatException
{
    public BlobExchangeFormatException()
    {
    }

    public BlobExchangeFormatException(string message)
        : base(message)
    {
    }

    public BlobExchangeFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
