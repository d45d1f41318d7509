namespace SmartShare.Node.Streaming;

/// <summary>Why a transfer cannot be streamed now, with the HTTP status that says so.</summary>
public sealed class StreamUnavailableException : Exception
{
    public StreamUnavailableException()
        : this(500, "The transfer cannot be streamed.")
    {
    }

    public StreamUnavailableException(string message)
        : this(500, message)
    {
    }

    public StreamUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
        Status = 500;
    }

    public StreamUnavailableException(int status, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Status = status;
    }

    public int Status { get; }
}
