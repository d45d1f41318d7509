namespace SmartShare.Lbry;

/// <summary>
/// The one typed error for LBRY content that cannot be trusted or used: a malformed descriptor, a missing,
/// corrupt or undecryptable blob. The message is a sentence that names the hash concerned.
/// </summary>
public class LbryDataException : Exception
{
    public LbryDataException(string message)
        : base(message)
    {
    }

    public LbryDataException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
