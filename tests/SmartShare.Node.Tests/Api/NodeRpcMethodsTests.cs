using System.Text.Json.Nodes;
using SmartShare.Lbry;
using SmartShare.Node.Client;

namespace SmartShare.Node.Tests.Api;

/// <summary>status, settings_get/settings_set and blob_list against real nodes.</summary>
public sealed class NodeRpcMethodsTests : IDisposable
{
    private readonly NodeTestDirectory _directory = new();

    [Fact]
    public async Task Status_reports_the_bound_ports_and_the_data_directory()
    {
        await using var node = await TestNode.StartAsync(_directory.Path);

        var status = (await node.CallAsync("status"))!;

        Assert.True(status["is_running"]!.GetValue<bool>());
        Assert.Equal(NodeInfo.Version, status["version"]!.GetValue<string>());
        Assert.Equal(Path.GetFullPath(_directory.Path), status["data_dir"]!.GetValue<string>());
        Assert.Equal(node.Host.ApiUri.GetLeftPart(UriPartial.Authority), status["api"]!.GetValue<string>());
        Assert.NotEqual(0, node.Host.ApiUri.Port);
        var dht = status["dht"]!;
        Assert.Equal(node.Host.DhtEndPoint.Port, dht["udp_port"]!.GetValue<int>());
        Assert.NotEqual(0, dht["udp_port"]!.GetValue<int>());
        Assert.Equal(96, dht["node_id"]!.GetValue<string>().Length);
        Assert.False(dht["joined"]!.GetValue<bool>());
        Assert.True(status.AsObject().ContainsKey("blob_exchange"));
        Assert.Equal(0, status["startup"]!["blobs"]!["checked"]!.GetValue<int>());
        Assert.InRange(status["uptime_seconds"]!.GetValue<long>(), 0, 600);
    }

    [Fact]
    public async Task Settings_set_writes_the_file_and_the_value_survives_a_restart()
    {
        await using (var node = await TestNode.StartAsync(_directory.Path))
        {
            var change = (await node.CallAsync("settings_set", new JsonObject { ["key"] = "announce", ["value"] = false }))!;
            Assert.True(change["restart_required"]!.GetValue<bool>());
            Assert.False(change["value"]!.GetValue<bool>());

            var live = (await node.CallAsync("settings_set", new JsonObject { ["key"] = "max_connections_per_download", ["value"] = 2 }))!;
            Assert.False(live["restart_required"]!.GetValue<bool>());
            Assert.Equal(2, (await node.CallAsync("settings_get"))!["max_connections_per_download"]!.GetValue<int>());
        }

        Assert.True(File.Exists(_directory.File("settings.json")));
        await using (var restarted = await TestNode.StartAsync(_directory.Path))
        {
            var settings = (await restarted.CallAsync("settings_get"))!;
            Assert.False(settings["announce"]!.GetValue<bool>());
            Assert.Equal(2, settings["max_connections_per_download"]!.GetValue<int>());
        }
    }

    [Fact]
    public async Task Settings_set_with_a_bad_value_is_32602_naming_the_key()
    {
        await using var node = await TestNode.StartAsync(_directory.Path);

        var error = await Assert.ThrowsAsync<NodeApiException>(
            () => node.CallAsync("settings_set", new JsonObject { ["key"] = "port", ["value"] = -1 }));

        Assert.Equal(-32602, error.Code);
        Assert.Contains("port must be a whole number from 0 to 65535", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Blob_list_pages_through_the_store_in_hash_order()
    {
        var storage = LbryStorage.Open(_directory.Path);
        var hashes = Enumerable.Range(0, 5)
            .Select(index => storage.Blobs.Add(new byte[] { (byte)index, 1, 2, 3 }).Hash.ToString())
            .Order(StringComparer.Ordinal)
            .ToList();
        await using var node = await TestNode.StartAsync(_directory.Path);

        var first = (await node.CallAsync("blob_list", new JsonObject { ["page"] = 1, ["page_size"] = 2 }))!;
        var last = (await node.CallAsync("blob_list", new JsonObject { ["page"] = 3, ["page_size"] = 2 }))!;
        var beyond = (await node.CallAsync("blob_list", new JsonObject { ["page"] = 4, ["page_size"] = 2 }))!;

        Assert.Equal(5, first["total_items"]!.GetValue<int>());
        Assert.Equal(3, first["total_pages"]!.GetValue<int>());
        Assert.Equal(hashes[..2], first["items"]!.AsArray().Select(item => item!["blob_hash"]!.GetValue<string>()));
        Assert.Equal(4, first["items"]![0]!["length"]!.GetValue<long>());
        Assert.Equal([hashes[4]], last["items"]!.AsArray().Select(item => item!["blob_hash"]!.GetValue<string>()));
        Assert.Empty(beyond["items"]!.AsArray());
    }

    [Fact]
    public async Task Peer_list_with_no_contacts_answers_an_empty_list()
    {
        await using var node = await TestNode.StartAsync(_directory.Path);

        var peers = await node.CallAsync("peer_list", new JsonObject { ["blob_hash"] = new string('a', 96) });

        Assert.Empty(peers!.AsArray());
    }

    public void Dispose() => _directory.Dispose();
}
