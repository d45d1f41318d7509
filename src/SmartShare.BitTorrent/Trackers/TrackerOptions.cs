namespace SmartShare.BitTorrent.Trackers;

/// <summary>Time and size bounds for tracker requests.</summary>
public sealed class TrackerOptions
{
    /// <summary>The whole of one HTTP request, and the ceiling of any one UDP wait.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>How many times a UDP request is sent again after the first try goes unanswered.</summary>
    public int UdpRetries { get; init; } = 2;

    /// <summary>The first UDP wait; each retry doubles it, never beyond BEP 15's 15 * 2^n seconds.</summary>
    public TimeSpan UdpInitialTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>The largest HTTP body read; a larger one is refused without reading it all.</summary>
    public int MaxResponseBytes { get; init; } = 1024 * 1024;

    /// <summary>The most peers kept from one answer.</summary>
    public int MaxPeers { get; init; } = 1000;

    public static TrackerOptions Default { get; } = new();
}
