namespace SmartShare.BitTorrent.Trackers;

/// <summary>Picks the client for a tracker URL by its scheme.</summary>
public static class TrackerClientFactory
{
    /// <exception cref="TrackerException">The scheme is not http, https or udp (<see cref="TrackerErrorKind.UnsupportedScheme"/>).</exception>
    /// <param name="time">The clock of the client's timeouts; default the system clock.</param>
    public static ITrackerClient Create(Uri uri, HttpClient http, TrackerOptions options, TimeProvider? time = null)
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
            "http" or "https" => new HttpTrackerClient(uri, http, options, time),
            "udp" => new UdpTrackerClient(uri, options, time),
            _ => throw new TrackerException(
                TrackerErrorKind.UnsupportedScheme,
                $"Tracker {TrackerException.Describe(uri)}: the scheme \"{uri.Scheme}\" is not supported (only http, https and udp)."),
        };
    }

    internal static bool IsSupported(Uri uri) => uri.IsAbsoluteUri && uri.Scheme is "http" or "https" or "udp";
}
