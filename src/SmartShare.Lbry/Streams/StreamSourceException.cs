namespace SmartShare.Lbry.Streams;

/// <summary>A file that cannot be made into a stream: empty, a folder, too large, or changed while being read.</summary>
public sealed class StreamSourceException : Exception
{
    public StreamSourceException(string message)
        : base(message)
    {
    }

    public StreamSourceException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
