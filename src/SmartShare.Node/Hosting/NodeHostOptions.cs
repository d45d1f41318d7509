using SmartShare.Lbry;
using SmartShare.Node.Settings;

namespace SmartShare.Node.Hosting;

/// <summary>How to run a <see cref="NodeHost"/>.</summary>
public sealed class NodeHostOptions
{
    public required string DataDirectory { get; init; }

    /// <summary>Settings already loaded (the CLI adds its flags); when null they are loaded from the data directory and environment.</summary>
    public NodeSettingsStore? Settings { get; init; }

    /// <summary>
    /// The data directory's storage when the caller has opened it already (the CLI's in-process get), so start-up
    /// does not reconcile the blob folder a second time; when null the node opens it.
    /// </summary>
    public LbryStorage? Storage { get; init; }

    /// <summary>
    /// A node run for one command (the CLI's <c>list</c> or <c>share</c> with no node running): its LBRY DHT takes a
    /// fresh id and it leaves the saved DHT contacts as they are, since it stops before it could learn better ones;
    /// it resumes no download and re-checks no seeded torrent (the next real start does).
    /// </summary>
    public bool Transient { get; init; }

    /// <summary>
    /// Record the bound API address and this process in <see cref="NodeFile"/> in the data directory, so commands run
    /// with that directory reach this node (the CLI's <c>start</c>; a one-off node does not).
    /// </summary>
    public bool RecordNodeFile { get; init; }

    /// <summary>
    /// Whether the API listens over HTTP (Kestrel on the <c>api</c> setting's address: JSON-RPC, streaming, the web UI;
    /// the default). A node for one command (the CLI's one-off node) does not: its command calls it in this process
    /// (<see cref="NodeHost.CreateInProcessApiHandler"/>), so it opens no API port, writes no token file, maps no
    /// endpoints (hooks given to <see cref="NodeHost.ConfigureEndpoints"/> are not run) and nothing else can reach it.
    /// Its <see cref="NodeHost.ApiUri"/> then has port 0, and <see cref="RecordNodeFile"/> and <see cref="WarmUp"/>,
    /// which are about the HTTP API, are refused.
    /// </summary>
    public bool ServeHttp { get; init; } = true;

    /// <summary>Log to stderr as well as to <c>logs/smartshare.log</c>.</summary>
    public bool ConsoleLogging { get; init; }

    /// <summary>Debug-level logs and whole exceptions on the console.</summary>
    public bool Verbose { get; init; }

    /// <summary>
    /// A damaged <c>smartshare.db</c> is moved aside (<c>smartshare.db.damaged-TIME</c>) and the node starts with a new
    /// one, instead of refusing to start (<c>smartshare start --recover-db</c>). See <see cref="NodeHost.RecoveredDatabase"/>.
    /// </summary>
    public bool RecoverDatabase { get; init; }

    /// <summary>
    /// Before the node says it is up, answer one <c>status</c> call of its own over a real socket and run the hashes and
    /// the cipher once, so the first request a user or player makes does not pay for that code's first run (the CLI's
    /// <c>start</c>; a one-off node's calls go in-process and would gain nothing). See <see cref="NodeHost.WarmUpStatus"/>.
    /// </summary>
    public bool WarmUp { get; init; }

    public TimeProvider Time { get; init; } = TimeProvider.System;

    public IRandomSource Random { get; init; } = SecureRandomSource.Instance;
}
