namespace SmartShare.Lbry.Downloads;

/// <summary>A stream download could not go on: no peer had the descriptor, or every peer stalled.</summary>
public sealed class StreamDownloadException : LbryDataException
{
    public StreamDownloadException(string message)
        : base(message)
    {
    }

    public StreamDownloadException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
