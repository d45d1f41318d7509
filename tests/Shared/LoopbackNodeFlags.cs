using System.Text.Json.Nodes;
using SmartShare.Node.Settings;

namespace SmartShare.Tests.Shared;

/// <summary>The start-up flags of every node a test runs in process: loopback only, free ports, LAN peers allowed.</summary>
internal static class LoopbackNodeFlags
{
    /// <param name="downloadDirectory">Where downloads go, or null for the default.</param>
    public static Dictionary<string, JsonNode?> Create(string? downloadDirectory = null)
    {
        var flags = new Dictionary<string, JsonNode?>
        {
            [NodeSettingKeys.Api] = "http://127.0.0.1:0",
            [NodeSettingKeys.Port] = 0,
            [NodeSettingKeys.BtPort] = 0,
            [NodeSettingKeys.BindAddress] = "127.0.0.1",
            [NodeSettingKeys.AllowLan] = true,

            // No multicast from tests in the host's namespace (bound to 127.0.0.1 it would stay on loopback anyway).
            [NodeSettingKeys.LocalDiscovery] = false,

            // Never a word to this machine's router (bound to 127.0.0.1 the service leaves the router alone anyway).
            [NodeSettingKeys.PortMapping] = false,

            // Tests that look at blob files expect a stream's encrypted blobs kept; the plain-file tests turn this off.
            [NodeSettingKeys.KeepStreamBlobs] = true,
        };
        if (downloadDirectory is not null)
        {
            flags[NodeSettingKeys.DownloadDirectory] = downloadDirectory;
        }

        return flags;
    }
}
