using System.Net;

namespace SmartShare.Testing;

/// <summary>How the in-memory network delays and drops messages, in virtual time.</summary>
public sealed record InMemoryNetworkOptions
{
    /// <summary>Base one-way delay of every message.</summary>
    public TimeSpan OneWayLatency { get; init; } = TimeSpan.FromMilliseconds(20);

    /// <summary>A uniformly random extra delay in [0, jitter) per message.</summary>
    public TimeSpan LatencyJitter { get; init; } = TimeSpan.FromMilliseconds(30);

    /// <summary>Chance that any one message (request or answer) is lost.</summary>
    public double LossRate { get; init; }

    /// <summary>How long a request waits for its answer (LBRY: 5 s, no retransmission).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Optional per-link one-way delay (from, to), replacing latency and jitter above.</summary>
    public Func<IPEndPoint, IPEndPoint, TimeSpan>? LinkLatency { get; init; }

    /// <summary>Optional per-link loss rate (from, to), replacing <see cref="LossRate"/>.</summary>
    public Func<IPEndPoint, IPEndPoint, double>? LinkLossRate { get; init; }
}
