using System.Net;

namespace SmartShare.Lbry.BlobExchange;

/// <summary>A blob request to one peer failed; <see cref="Failure"/> says how.</summary>
public sealed class BlobExchangeException : Exception
{
    public BlobExchangeException()
    {
    }

    public BlobExchangeException(string message)
        : base(message)
    {
    }

    public BlobExchangeException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public BlobExchangeException(BlobExchangeFailure failure, IPEndPoint? peer, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Failure = failure;
        Peer = peer;
    }

    public BlobExchangeFailure Failure { get; }

    public IPEndPoint? Peer { get; }
}
