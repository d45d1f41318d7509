namespace SmartShare.Node.Settings;

/// <summary>The names of the settings in <c>settings.json</c>, <c>settings_get</c> and <c>settings_set</c> (lbrynet's style).</summary>
public static class NodeSettingKeys
{
    public const string DownloadDirectory = "download_dir";
    public const string Port = "port";
    public const string BtPort = "bt_port";
    public const string BtBootstrap = "bt_bootstrap";
    public const string BtDht = "bt_dht";
    public const string BtEncryption = "bt_encryption";
    public const string BtTransport = "bt_transport";
    public const string LocalDiscovery = "local_discovery";
    public const string BindAddress = "bind";
    public const string Api = "api";
    public const string ApiHosts = "api_hosts";
    public const string ApiPasswordHash = "api_password_hash";
    public const string Bootstrap = "bootstrap";
    public const string AllowLan = "allow_lan";
    public const string MaxConnectionsPerDownload = "max_connections_per_download";
    public const string Announce = "announce";
    public const string MaxUploadRate = "max_upload_rate";
    public const string MaxDownloadRate = "max_download_rate";
    public const string AltUploadRate = "alt_upload_rate";
    public const string AltDownloadRate = "alt_download_rate";
    public const string AltSpeedEnabled = "alt_speed_enabled";
    public const string AltSpeedScheduleEnabled = "alt_speed_schedule_enabled";
    public const string AltSpeedSchedule = "alt_speed_schedule";
    public const string BlobStorageLimit = "blob_storage_limit";
    public const string KeepStreamBlobs = "keep_stream_blobs";
    public const string DirectWrites = "direct_writes";
    public const string MaxActiveDownloads = "max_active_downloads";
    public const string MaxActiveSeeds = "max_active_seeds";
    public const string SeedRatioLimit = "seed_ratio_limit";
    public const string SeedTimeLimit = "seed_time_limit";
    public const string SeedIdleLimit = "seed_idle_limit";
    public const string SeedGoalAction = "seed_goal_action";
    public const string WatchDirectory = "watch_dir";
    public const string Advertise = "advertise";

    public const string PortMapping = "port_mapping";
    public const string PortMappingLease = "port_mapping_lease";

    /// <summary>The environment variable for a key: SMARTSHARE_ and the key in capitals.</summary>
    public static string EnvironmentVariable(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return "SMARTSHARE_" + key.ToUpperInvariant();
    }
}
