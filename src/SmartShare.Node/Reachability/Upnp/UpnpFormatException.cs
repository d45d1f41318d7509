namespace SmartShare.Node.Reachability.Upnp;

/// <summary>An SSDP answer, device description or SOAP response that is not well formed or breaks a bound; the client drops it.</summary>
public sealed class UpnpFormatException : FormatException
{
    public UpnpFormatException()
    {
    }

    public UpnpFormatException(string message)
        : base(message)
    {
    }

    public UpnpFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
