using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using SmartShare.Node.Client;
using SmartShare.Node.Settings;
using SmartShare.Node.Tests.Downloads;
using SmartShare.Node.Torrents;

namespace SmartShare.Node.Tests.Transfers;

/// <summary>transfer_peers over the API of real nodes: a torrent's connected peers, a stream's note, an unknown key.</summary>
public sealed class TransferPeersTests : IDisposable
{
    private const long Size = 4 * 1024 * 1024;

    private readonly NodeTestDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task A_torrent_being_seeded_to_a_second_node_lists_that_node_with_its_client_rates_and_progress()
    {
        // The seeder's upload limit (1 MiB/s) keeps the 4 MiB download running while the peers are read.
        await using var seeder = await TransferNode.StartAsync(
            "seeder", _directory.File("seeder"), extra: new Dictionary<string, JsonNode?> { [NodeSettingKeys.MaxUploadRate] = 1024 });
        await using var leecher = await TransferNode.StartAsync("leecher", _directory.File("leecher"));
        var source = TransferNode.WriteRandomFile(_directory.File("film.mkv"), Size, seed: 21);
        var torrentPath = _directory.File("film.torrent");
        var infoHash = (await seeder.CallAsync("stream_create", new JsonObject { ["file_path"] = source, ["torrent"] = true, ["torrent_path"] = torrentPath }))!["info_hash"]!.GetValue<string>();
        var btPort = seeder.Host.Services.GetRequiredService<TorrentManager>().ListenEndPoint.Port;
        await leecher.CallAsync("get", new JsonObject { ["uri"] = torrentPath, ["peers"] = new JsonArray(new IPEndPoint(IPAddress.Loopback, btPort).ToString()) });

        var seen = await WaitForPeerAsync(seeder, infoHash, _ => true);
        // The seed's bitfield may come a moment after the connection is listed.
        var fromLeecher = await WaitForPeerAsync(leecher, infoHash, peer => peer["progress"]?.GetValue<double>() == 1.0);

        Assert.Equal("torrent", seen["type"]!.GetValue<string>());
        var peer = (JsonObject)seen["peers"]!.AsArray().Single()!;
        Assert.Equal("127.0.0.1", peer["address"]!.GetValue<string>());
        Assert.True(peer["connected"]!.GetValue<bool>());
        Assert.False(string.IsNullOrEmpty(peer["client"]?.GetValue<string>()));
        Assert.NotNull(peer["download_rate"]);
        Assert.NotNull(peer["upload_rate"]);
        Assert.InRange(peer["progress"]!.GetValue<double>(), 0, 1);
        var seedSeenByLeecher = (JsonObject)fromLeecher["peers"]!.AsArray().Single()!;
        Assert.Equal(btPort, seedSeenByLeecher["port"]!.GetValue<int>());
        Assert.Equal(1.0, seedSeenByLeecher["progress"]!.GetValue<double>());
    }

    [Fact]
    public async Task A_shared_stream_has_an_empty_list_with_a_note_and_an_unknown_key_is_invalid_params()
    {
        await using var node = await TransferNode.StartAsync("node", _directory.File("node"));
        var source = TransferNode.WriteRandomFile(_directory.File("notes.bin"), 100_000, seed: 22);
        var sdHash = (await node.CallAsync("stream_create", new JsonObject { ["file_path"] = source }))!["sd_hash"]!.GetValue<string>();

        var peers = (JsonObject)(await node.CallAsync("transfer_peers", new JsonObject { ["key"] = sdHash }))!;
        var unknown = await Assert.ThrowsAsync<NodeApiException>(() => node.CallAsync("transfer_peers", new JsonObject { ["key"] = new string('e', 40) }));

        Assert.Equal("stream", peers["type"]!.GetValue<string>());
        Assert.Empty(peers["peers"]!.AsArray());
        Assert.False(string.IsNullOrEmpty(peers["note"]?.GetValue<string>()));
        Assert.Equal(-32602, unknown.Code);
        Assert.Contains("lists no transfer", unknown.Message, StringComparison.Ordinal);
    }

    private static async Task<JsonObject> WaitForPeerAsync(TransferNode node, string key, Func<JsonObject, bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            var answer = (JsonObject)(await node.CallAsync("transfer_peers", new JsonObject { ["key"] = key }))!;
            if (answer["peers"]!.AsArray().OfType<JsonObject>().Any(condition))
            {
                return answer;
            }

            await Task.Delay(50, timeout.Token);
        }
    }
}
