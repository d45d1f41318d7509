using System.Net;

namespace SmartShare.Node.Reachability.Upnp;

/// <summary>Time limits and bounds of the UPnP IGD client; the defaults suit a home router.</summary>
public sealed record UpnpOptions
{
    /// <summary>Where M-SEARCH is sent: the SSDP group, or (in tests) one device's unicast address.</summary>
    public IPEndPoint SearchEndpoint { get; init; } = SsdpCodec.MulticastEndpoint;

    /// <summary>How long discovery waits for a router to answer and describe itself.</summary>
    public TimeSpan DiscoveryTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>The time limit of one HTTP exchange with the router (description or SOAP action).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>External ports tried, one after the other, when the router says the asked one is taken (error 718).</summary>
    public int ConflictAttempts { get; init; } = 8;

    /// <summary>The description the router shows next to our mappings.</summary>
    public string Description { get; init; } = "SmartShare";

    /// <summary>Throws <see cref="ArgumentException"/> with a sentence naming the first value out of range.</summary>
    public void Validate()
    {
        if (DiscoveryTimeout <= TimeSpan.Zero || DiscoveryTimeout > TimeSpan.FromMinutes(1))
        {
            throw new ArgumentException($"The UPnP discovery time limit must be more than 0 and at most 60 seconds, not {DiscoveryTimeout}.");
        }

        if (RequestTimeout <= TimeSpan.Zero || RequestTimeout > TimeSpan.FromMinutes(1))
        {
            throw new ArgumentException($"The UPnP request time limit must be more than 0 and at most 60 seconds, not {RequestTimeout}.");
        }

        if (ConflictAttempts is < 1 or > 64)
        {
            throw new ArgumentException($"The UPnP conflict attempts must be from 1 to 64, not {ConflictAttempts}.");
        }

        if (string.IsNullOrWhiteSpace(Description) || Description.Length > 64 || Description.Any(c => char.IsControl(c) || char.IsSurrogate(c)))
        {
            throw new ArgumentException("The UPnP mapping description must be 1 to 64 printable characters.");
        }
    }
}
