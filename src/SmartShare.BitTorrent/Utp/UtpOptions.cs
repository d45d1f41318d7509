namespace SmartShare.BitTorrent.Utp;

/// <summary>
/// Settings of a <see cref="UtpSocket"/> and its connections (BEP 29, with libutp's constants where BEP 29 is
/// silent). The defaults are what the node runs with; tests shrink the timeouts.
/// </summary>
public sealed class UtpOptions
{
    public static UtpOptions Default { get; } = new();

    /// <summary>Bytes of a full data packet, header included: a fixed size below every common path MTU (no MTU discovery).</summary>
    public int PacketSize { get; init; } = 1400;

    /// <summary>Bytes a connection takes in before the application reads them (received in order or held for reordering).</summary>
    public int ReceiveWindow { get; init; } = 1 << 20;

    /// <summary>Bytes a connection holds unacknowledged or unsent before a write waits.</summary>
    public int SendBuffer { get; init; } = 1 << 20;

    /// <summary>LEDBAT's target queuing delay (BEP 29 and libutp: 100 ms).</summary>
    public TimeSpan TargetDelay { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>LEDBAT's gain: the most the congestion window grows in one round trip (libutp: 3,000 bytes).</summary>
    public int MaxWindowIncreasePerRtt { get; init; } = 3000;

    /// <summary>The least retransmission timeout: a timeout is max(rtt + 4 rtt_var, this).</summary>
    public TimeSpan MinTimeout { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The first SYN's timeout; it doubles with each retry.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>SYNs sent again before a connection attempt fails (1 s, 2 s, 4 s with the defaults).</summary>
    public int MaxSynRetransmits { get; init; } = 2;

    /// <summary>Consecutive timeouts of a connected connection before it is dropped (each doubles the timeout).</summary>
    public int MaxRetransmits { get; init; } = 5;

    /// <summary>How long a connection a SYN opened waits for the opener's first data packet before it is forgotten.</summary>
    public TimeSpan HalfOpenTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How often timeouts, zero-window probes and keep-alives are checked.</summary>
    public TimeSpan TickInterval { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>An ACK sent after this long without sending anything, so that NAT mappings stay open (libutp: 29 s).</summary>
    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.FromSeconds(29);

    /// <summary>Connections of every kind the socket keeps at once; a SYN beyond them is refused.</summary>
    public int MaxConnections { get; init; } = 2000;

    /// <summary>Connections opened by a SYN and not yet given their first data packet.</summary>
    public int MaxHalfOpen { get; init; } = 128;

    /// <summary>Connections waiting for the application to accept them.</summary>
    public int AcceptBacklog { get; init; } = 128;

    /// <summary>SYNs and RESET-worthy strays answered per second per source address (a token bucket).</summary>
    public double SynsPerSecondPerAddress { get; init; } = 20;

    /// <summary>The token bucket's size: SYNs one address may send in a burst.</summary>
    public int SynBurstPerAddress { get; init; } = 64;

    /// <summary>Payload bytes of a full data packet.</summary>
    internal int MaxPayload => PacketSize - UtpCodec.HeaderLength;
}
