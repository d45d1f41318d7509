namespace SmartShare.Lbry.Streams;

/// <summary>An sd blob that is not a well-formed, self-consistent stream descriptor.</summary>
public sealed class InvalidStreamDescriptorException : LbryDataException
{
    public InvalidStreamDescriptorException(string message)
        : base(message)
    {
    }

    public InvalidStreamDescriptorException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
