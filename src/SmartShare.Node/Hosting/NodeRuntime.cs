using SmartShare.Lbry.Blobs;

namespace SmartShare.Node.Hosting;

/// <summary>Facts about the running node that <c>status</c> reports: when it started, where its API answers, what start-up found.</summary>
public sealed class NodeRuntime(TimeProvider time, string dataDirectory, ReconcileReport startupReport)
{
    private readonly long _started = time.GetTimestamp();

    public string DataDirectory { get; } = dataDirectory;

    public ReconcileReport StartupReport { get; } = startupReport;

    /// <summary>The API's actual address (after binding, so port 0 shows the port chosen).</summary>
    public Uri? ApiUri { get; internal set; }

    /// <summary>The <c>/stream</c> URLs of transfers (after binding).</summary>
    public Streaming.StreamLinks? StreamLinks { get; internal set; }

    /// <summary>A node run for one command (<see cref="NodeHostOptions.Transient"/>): leaves the saved DHT state alone.</summary>
    public bool Transient { get; init; }

    /// <summary>True once the whole start succeeded: a start that failed reports its error, not a shutdown.</summary>
    public bool Started { get; internal set; }

    public TimeSpan Uptime => time.GetElapsedTime(_started);
}
