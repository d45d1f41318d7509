namespace SmartShare.BitTorrent.Trackers;

/// <summary>Picks the client for a tracker URL by its scheme.</summary>
public static class TrackerClientFactory
{
    /// <exception cref="TrackerException">The scheme is not http, https or udp (<see cref="TrackerErrorKind.UnsupportedScheme"/>).</exception>
    public static ITrackerClient Create(Uri uri, HttpClient http, TrackerOptions options)
    {
        ArgumentNullException.ThrowIfNull(uri);
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(options);
        if (!uri.IsAbsoluteUri)
        {
            throw new TrackerException(TrackerErrorKind.UnsupportedScheme, $"Tracker {uri}: a tracker URL must be absolute.");
        }

        return uri.Scheme switch
        {
            "http" or "https" => new HttpTrackerClient(uri, http, options),
            "udp" => new UdpTrackerClient(uri, options),
            _ => throw new TrackerException(
                TrackerErrorKind.UnsupportedScheme,
                $"Tracker {TrackerException.Describe(uri)}: the scheme \"{uri.Scheme}\" is not supported (only http, https and udp)."),
        };
    }

    internal static bool IsSupported(Uri uri) => uri.IsAbsoluteUri && uri.Scheme is "http" or "https" or "udp";
}
