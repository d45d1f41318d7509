namespace SmartShare.BitTorrent.Trackers;

/// <summary>Why a tracker request failed.</summary>
public enum TrackerErrorKind
{
    /// <summary>The tracker answered with a failure reason (HTTP "failure reason", UDP action 3).</summary>
    Failure,

    /// <summary>The tracker could not be reached: name resolution, refused connection, HTTP error status.</summary>
    Unreachable,

    /// <summary>The tracker did not answer in time.</summary>
    TimedOut,

    /// <summary>The tracker's answer was malformed or too large.</summary>
    BadResponse,

    /// <summary>The URL's scheme is not http, https or udp.</summary>
    UnsupportedScheme,
}

/// <summary>A tracker request failed. The message is a sentence for people; it names the tracker when a client threw it.</summary>
public sealed class TrackerException : Exception
{
    public TrackerException()
        : this(TrackerErrorKind.BadResponse, "The tracker request failed.")
    {
    }

    public TrackerException(string message)
        : this(TrackerErrorKind.BadResponse, message)
    {
    }

    public TrackerException(string message, Exception innerException)
        : this(TrackerErrorKind.BadResponse, message, innerException)
    {
    }

    public TrackerException(TrackerErrorKind kind, string message, Exception? innerException = null, string? failureReason = null)
        : base(message, innerException)
    {
        Kind = kind;
        FailureReason = failureReason;
    }

    public TrackerErrorKind Kind { get; }

    /// <summary>The tracker's own words when <see cref="Kind"/> is <see cref="TrackerErrorKind.Failure"/>.</summary>
    public string? FailureReason { get; }

    /// <summary>The URL to show in messages: no query (it may hold a passkey) and no fragment.</summary>
    internal static string Describe(Uri uri) => uri.GetLeftPart(UriPartial.Path);

    /// <summary>The same failure, its sentence prefixed with the tracker's URL.</summary>
    internal TrackerException ForTracker(Uri uri) =>
        new(Kind, $"Tracker {Describe(uri)}: {Message}", this, FailureReason);
}
