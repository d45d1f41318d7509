using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using SmartShare.Node.Settings;

namespace SmartShare.Node.Tests.LocalDiscovery;

/// <summary>
/// Local discovery in a running node bound to 127.0.0.1 (so it talks on loopback at most, never on the host's LAN):
/// private torrents are never announced (BEP 27), public ones are, and a bound address confines the interfaces.
/// </summary>
public sealed class LocalDiscoveryNodeTests : IDisposable
{
    private readonly NodeTestDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task A_private_torrent_is_never_announced_and_a_public_one_is()
    {
        await using var node = await TestNode.StartAsync(_directory.File("data"), flags: new Dictionary<string, JsonNode?> { [NodeSettingKeys.LocalDiscovery] = true });
        var downloads = _directory.File("downloads");

        await node.CallAsync("get", new JsonObject { ["uri"] = WriteTorrent("secret.bin", isPrivate: true), ["download_directory"] = downloads });
        Assert.Equal(0, (await StatusAsync(node))["bittorrent"]!["torrents"]!.GetValue<int>());

        await node.CallAsync("get", new JsonObject { ["uri"] = WriteTorrent("open.bin", isPrivate: false), ["download_directory"] = downloads });
        var status = await StatusAsync(node);
        Assert.Equal(1, status["bittorrent"]!["torrents"]!.GetValue<int>());
        Assert.True(status["enabled"]!.GetValue<bool>());

        // Bound to 127.0.0.1, the node joins groups on loopback at most (only if lo has multicast on), never elsewhere.
        Assert.All(status["groups"]!.AsArray(), group => Assert.EndsWith(" on lo", group!.GetValue<string>(), StringComparison.Ordinal));
    }

    [Fact]
    public async Task With_local_discovery_off_nothing_is_tracked_and_status_says_so()
    {
        await using var node = await TestNode.StartAsync(_directory.File("data"));

        await node.CallAsync("get", new JsonObject { ["uri"] = WriteTorrent("open.bin", isPrivate: false), ["download_directory"] = _directory.File("downloads") });

        var status = await StatusAsync(node);
        Assert.False(status["enabled"]!.GetValue<bool>());
        Assert.Empty(status["groups"]!.AsArray());
        Assert.Equal(0, status["bittorrent"]!["torrents"]!.GetValue<int>());
    }

    private static async Task<JsonObject> StatusAsync(TestNode node) => (JsonObject)(await node.CallAsync("status"))!["local_discovery"]!;

    private string WriteTorrent(string name, bool isPrivate)
    {
        var content = Encoding.ASCII.GetBytes("hello " + name);
        var info = new MemoryStream();
        void Write(string text) => info.Write(Encoding.ASCII.GetBytes(text));
        Write($"d6:lengthi{content.Length}e4:name{name.Length}:{name}12:piece lengthi16384e6:pieces20:");
#pragma warning disable CA5350 // BitTorrent v1 piece hashes are SHA-1.
        info.Write(SHA1.HashData(content));
#pragma warning restore CA5350
        Write(isPrivate ? "7:privatei1ee" : "e");
        var path = _directory.File(name + ".torrent");
        using var file = File.Create(path);
        file.Write(Encoding.ASCII.GetBytes("d4:info"));
        file.Write(info.ToArray());
        file.Write(Encoding.ASCII.GetBytes("e"));
        return path;
    }
}
