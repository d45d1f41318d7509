namespace SmartShare.Node.Settings;

/// <summary>
/// What a node runs with. Loaded by <see cref="NodeSettingsLoader"/>: defaults, then <c>settings.json</c> in the
/// data directory, then <c>SMARTSHARE_*</c> environment variables, then command-line flags.
/// </summary>
public sealed record NodeSettings
{
    /// <summary>Where downloaded files are written.</summary>
    public string DownloadDirectory { get; init; } = DefaultPaths.DownloadDirectory();

    /// <summary>LBRY DHT UDP port and blob-exchange TCP port (one number, as lbry-sdk expects); 0 picks a free one.</summary>
    public int Port { get; init; } = 4444;

    /// <summary>BitTorrent peer port (TCP); 0 picks a free one.</summary>
    public int BtPort { get; init; } = 6881;

    /// <summary>Mainline DHT nodes to join through, as HOST:PORT; none by default, so the node never reaches a public router unasked.</summary>
    public IReadOnlyList<string> BtBootstrap { get; init; } = [];

    /// <summary>Run the Mainline DHT on the UDP side of <see cref="BtPort"/>.</summary>
    public bool BtDht { get; init; } = true;

    /// <summary>Local peer discovery: BEP 14 multicast for torrents and its LBRY equivalent for streams, on the LAN.</summary>
    public bool LocalDiscovery { get; init; } = true;

    /// <summary>BitTorrent protocol encryption (MSE/PE): "prefer", "require" or "disable".</summary>
    public string BtEncryption { get; init; } = "prefer";

    /// <summary>How BitTorrent peers are dialed and accepted: "both" (uTP first, then TCP), "tcp" or "utp".</summary>
    public string BtTransport { get; init; } = "both";

    /// <summary>The address the DHT and blob exchange listen on.</summary>
    public string BindAddress { get; init; } = "0.0.0.0";

    /// <summary>The JSON-RPC API's address; beyond loopback only with <see cref="ApiPasswordHash"/>. Port 0 picks a free one.</summary>
    public string Api { get; init; } = NodeInfo.DefaultApiUrl;

    /// <summary>Host names the API answers to besides localhost and its own addresses (a request naming another is refused).</summary>
    public IReadOnlyList<string> ApiHosts { get; init; } = [];

    /// <summary>The API password's salted hash (see <see cref="Http.ApiPassword"/>), or empty for none.</summary>
    public string ApiPasswordHash { get; init; } = string.Empty;

    /// <summary>DHT nodes to join through, as HOST:PORT.</summary>
    public IReadOnlyList<string> Bootstrap { get; init; } = [];

    /// <summary>Accept loopback and private addresses as contacts and peers (LAN use and tests).</summary>
    public bool AllowLan { get; init; }

    public int MaxConnectionsPerDownload { get; init; } = 8;

    /// <summary>Announce local streams to the DHT.</summary>
    public bool Announce { get; init; } = true;

    /// <summary>The node's upload limit in KiB/s, shared by LBRY and BitTorrent peers; 0 for none.</summary>
    public int MaxUploadKibPerSecond { get; init; }

    /// <summary>The node's download limit in KiB/s, shared by LBRY and BitTorrent peers; 0 for none.</summary>
    public int MaxDownloadKibPerSecond { get; init; }

    /// <summary>The alternative upload limit in KiB/s (0 for none), in force while the alternative speeds are on.</summary>
    public int AltUploadKibPerSecond { get; init; } = 50;

    /// <summary>The alternative download limit in KiB/s (0 for none), in force while the alternative speeds are on.</summary>
    public int AltDownloadKibPerSecond { get; init; } = 50;

    /// <summary>The alternative speeds are on (by hand; the schedule may turn them on too).</summary>
    public bool AltSpeedEnabled { get; init; }

    /// <summary>The schedule turns the alternative speeds on within <see cref="AltSpeedSchedule"/>.</summary>
    public bool AltSpeedScheduleEnabled { get; init; }

    /// <summary>When the schedule applies: "DAYS HH:MM-HH:MM" (<see cref="Limits.SpeedSchedule"/>).</summary>
    public string AltSpeedSchedule { get; init; } = Limits.SpeedSchedule.Default.ToString();

    /// <summary>lbrynet's <c>blob_storage_limit</c>: the most megabytes (2^20 bytes, as lbrynet counts them) of blobs kept before cached ones are evicted; 0 for no limit.</summary>
    public int BlobStorageLimitMb { get; init; }

    /// <summary>Keep the encrypted data blobs of a stream also held as its plain file (shared or fully downloaded).</summary>
    public bool KeepStreamBlobs { get; init; }

    /// <summary>Write a downloaded stream's file past the page cache where the file system allows (<c>O_DIRECT</c>).</summary>
    public bool DirectWrites { get; init; } = true;

    /// <summary>Downloads running at once (metadata and descriptor fetches included); more wait queued. 0 for no limit.</summary>
    public int MaxActiveDownloads { get; init; } = 5;

    /// <summary>Downloaded torrents seeding at once; more wait queued to seed. 0 for no limit.</summary>
    public int MaxActiveSeeds { get; init; }

    /// <summary>A downloaded torrent stops seeding once it has uploaded this many times its size; 0 for no limit.</summary>
    public double SeedRatioLimit { get; init; }

    /// <summary>A downloaded torrent stops seeding after this many minutes of seeding; 0 for no limit.</summary>
    public int SeedTimeLimitMinutes { get; init; }

    /// <summary>A downloaded torrent stops seeding after this many minutes without uploading; 0 for no limit.</summary>
    public int SeedIdleLimitMinutes { get; init; }

    /// <summary>What a met seeding goal does: "stop" (keep it listed, complete) or "remove" (unlist it; files are kept).</summary>
    public string SeedGoalAction { get; init; } = "stop";

    /// <summary>A folder whose .torrent and .smartshare files are added and moved aside; empty for none.</summary>
    public string WatchDirectory { get; init; } = string.Empty;

    /// <summary>HOST[:PORT] a share names as this node's contacts instead of the mapped, voted and LAN addresses; none by default.</summary>
    public IReadOnlyList<string> Advertise { get; init; } = [];

    /// <summary>Ask the home router to forward the node's ports (PCP, NAT-PMP, UPnP IGD) and learn its external address.</summary>
    public bool PortMapping { get; init; } = true;

    /// <summary>The lease asked for each port mapping, in seconds; renewed at half of what the router grants.</summary>
    public int PortMappingLeaseSeconds { get; init; } = 7200;

    /// <summary>Value equality that compares the bootstrap list by content.</summary>
    public bool Equals(NodeSettings? other) =>
        other is not null
        && DownloadDirectory == other.DownloadDirectory
        && Port == other.Port
        && BtPort == other.BtPort
        && BtBootstrap.SequenceEqual(other.BtBootstrap)
        && BtDht == other.BtDht
        && BtEncryption == other.BtEncryption
        && BtTransport == other.BtTransport
        && BindAddress == other.BindAddress
        && Api == other.Api
        && ApiHosts.SequenceEqual(other.ApiHosts)
        && ApiPasswordHash == other.ApiPasswordHash
        && Bootstrap.SequenceEqual(other.Bootstrap)
        && AllowLan == other.AllowLan
        && MaxConnectionsPerDownload == other.MaxConnectionsPerDownload
        && Announce == other.Announce
        && MaxUploadKibPerSecond == other.MaxUploadKibPerSecond
        && MaxDownloadKibPerSecond == other.MaxDownloadKibPerSecond
        && AltUploadKibPerSecond == other.AltUploadKibPerSecond
        && AltDownloadKibPerSecond == other.AltDownloadKibPerSecond
        && AltSpeedEnabled == other.AltSpeedEnabled
        && AltSpeedScheduleEnabled == other.AltSpeedScheduleEnabled
        && AltSpeedSchedule == other.AltSpeedSchedule
        && BlobStorageLimitMb == other.BlobStorageLimitMb
        && KeepStreamBlobs == other.KeepStreamBlobs
        && DirectWrites == other.DirectWrites

        && MaxActiveDownloads == other.MaxActiveDownloads
        && MaxActiveSeeds == other.MaxActiveSeeds
        && SeedRatioLimit.Equals(other.SeedRatioLimit)
        && SeedTimeLimitMinutes == other.SeedTimeLimitMinutes
        && SeedIdleLimitMinutes == other.SeedIdleLimitMinutes
        && SeedGoalAction == other.SeedGoalAction
        && WatchDirectory == other.WatchDirectory
        && Advertise.SequenceEqual(other.Advertise)
        && LocalDiscovery == other.LocalDiscovery
        && PortMapping == other.PortMapping
        && PortMappingLeaseSeconds == other.PortMappingLeaseSeconds;

    public override int GetHashCode() => HashCode.Combine(HashCode.Combine(DownloadDirectory, Port, BindAddress, Api, Bootstrap.Count, AllowLan, MaxConnectionsPerDownload, Announce), MaxUploadKibPerSecond, BtPort, BtBootstrap.Count, BtDht, BtEncryption, ApiHosts.Count, ApiPasswordHash) ^ HashCode.Combine(MaxDownloadKibPerSecond, AltUploadKibPerSecond, AltDownloadKibPerSecond, AltSpeedEnabled, AltSpeedScheduleEnabled, AltSpeedSchedule) ^ HashCode.Combine(BlobStorageLimitMb, KeepStreamBlobs, DirectWrites) ^ HashCode.Combine(MaxActiveDownloads, MaxActiveSeeds, SeedRatioLimit, SeedTimeLimitMinutes, SeedIdleLimitMinutes, SeedGoalAction, WatchDirectory, Advertise.Count) ^ LocalDiscovery.GetHashCode() ^ HashCode.Combine(PortMapping, PortMappingLeaseSeconds, BtTransport);
}
