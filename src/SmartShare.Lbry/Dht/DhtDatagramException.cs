namespace SmartShare.Lbry.Dht;

/// <summary>A datagram that is not a well-formed LBRY DHT message; the receiver drops it and counts it.</summary>
public sealed class DhtDatagramException : FormatException
{
    public DhtDatagramException(string message)
        : base(message)
    {
    }

    public DhtDatagramException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
