namespace SmartShare.Node.Reachability.NatPmp;

/// <summary>A datagram from the gateway's port 5351 that is not a well-formed NAT-PMP or PCP response; the client ignores it.</summary>
public sealed class NatPmpFormatException : FormatException
{
    public NatPmpFormatException()
    {
    }

    public NatPmpFormatException(string message)
        : base(message)
    {
    }

    public NatPmpFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
