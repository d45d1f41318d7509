using System.Globalization;

namespace SmartShare.Cli.Tests.Soak;

/// <summary>
/// The soak's size and schedule. The suite runs <see cref="Short"/>; <c>scripts/soak</c> sets the environment
/// (SMARTSHARE_SOAK_SECONDS, _TORRENTS, _STREAMS, _RESTART_SECONDS, _SAMPLE_SECONDS, _PEERS, _SEED, _CSV).
/// </summary>
internal sealed record SoakOptions(
    TimeSpan Duration, int Torrents, int Streams, TimeSpan RestartEvery, TimeSpan SampleEvery, int Peers, int Seed, string? CsvPath)
{
    public const int DefaultSeed = 20261205;

    /// <summary>About a minute: 20 torrents, 5 streams, two peers, one restart, a sample every 2 s.</summary>
    public static SoakOptions Short { get; } = new(TimeSpan.FromSeconds(50), 20, 5, TimeSpan.FromSeconds(25), TimeSpan.FromSeconds(2), 2, DefaultSeed, null);

    /// <summary>How long a peer stays, at least and at most: a 30th to a 10th of the run (an hour: 2 to 6 minutes).</summary>
    public (TimeSpan Least, TimeSpan Most) PeerUptime => (Max(TimeSpan.FromSeconds(10), Duration / 30), Max(TimeSpan.FromSeconds(25), Duration / 10));

    /// <summary>How long a peer is gone: a 120th to a 40th of the run (an hour: 30 to 90 seconds).</summary>
    public (TimeSpan Least, TimeSpan Most) PeerDowntime => (Max(TimeSpan.FromSeconds(3), Duration / 120), Max(TimeSpan.FromSeconds(8), Duration / 40));

    /// <summary>How often the node drops a completed download from peers and fetches it again (its list stays the same size).</summary>
    public TimeSpan RefetchEvery => Duration <= TimeSpan.FromMinutes(2) ? TimeSpan.FromSeconds(3) : TimeSpan.FromSeconds(5);

    /// <summary>How many of the node's own shares a peer fetches each time it joins.</summary>
    public int PeerBatch => Math.Max(2, (Torrents + Streams) / 16);

    /// <summary>The time allowed, after the schedule ends and every peer is back, for every transfer to finish.</summary>
    public TimeSpan DrainLimit => Max(TimeSpan.FromSeconds(60), Duration / 10);

    public static SoakOptions FromEnvironment()
    {
        var options = Short;
        return options with
        {
            Duration = Seconds("SMARTSHARE_SOAK_SECONDS") ?? options.Duration,
            Torrents = Int("SMARTSHARE_SOAK_TORRENTS") ?? options.Torrents,
            Streams = Int("SMARTSHARE_SOAK_STREAMS") ?? options.Streams,
            RestartEvery = Seconds("SMARTSHARE_SOAK_RESTART_SECONDS") ?? options.RestartEvery,
            SampleEvery = Seconds("SMARTSHARE_SOAK_SAMPLE_SECONDS") ?? options.SampleEvery,
            Peers = Int("SMARTSHARE_SOAK_PEERS") ?? options.Peers,
            Seed = Int("SMARTSHARE_SOAK_SEED") ?? options.Seed,
            CsvPath = Environment.GetEnvironmentVariable("SMARTSHARE_SOAK_CSV") is { Length: > 0 } csv ? csv : null,
        };
    }

    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"{Duration.TotalSeconds:0} s, {Torrents} torrents, {Streams} streams, {Peers} peers, a restart every {RestartEvery.TotalSeconds:0} s, a sample every {SampleEvery.TotalSeconds:0.#} s, seed {Seed}");

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private static int? Int(string name) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : null;

    private static TimeSpan? Seconds(string name) =>
        double.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? TimeSpan.FromSeconds(value) : null;
}
