using System.Text.Json.Nodes;
using SmartShare.Node.Settings;

namespace SmartShare.Node.Tests.Downloads;

/// <summary>Five real nodes on 127.0.0.1 finding each other through the LBRY DHT, with a seeder lost mid-download.</summary>
public sealed class SwarmTests : IDisposable
{
    private const int FullBlobPlaintext = 2_097_151;

    private readonly NodeTestDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task A_download_found_through_the_DHT_completes_from_the_second_seeder_when_the_first_dies()
    {
        // Upload limits make the download last long enough to lose A in the middle of it.
        var slow = new Dictionary<string, JsonNode?> { [NodeSettingKeys.MaxUploadRate] = 4096 };
        await using var b = await TransferNode.StartAsync("B", _temp.File("b"));
        var a = await TransferNode.StartAsync("A", _temp.File("a"), b.DhtEndPoint, slow);
        await using var c = await TransferNode.StartAsync("C", _temp.File("c"), b.DhtEndPoint, slow);
        await using var d = await TransferNode.StartAsync("D", _temp.File("d"), b.DhtEndPoint);
        await using var e = await TransferNode.StartAsync("E", _temp.File("e"), b.DhtEndPoint);
        try
        {
            var source = TransferNode.WriteRandomFile(_temp.File("film.mkv"), 12L * FullBlobPlaintext, seed: 5);
            var sdHash = await a.ShareAsync(source);
            await WaitForPeersAsync(d, sdHash, 1);

            // C finds A through the DHT alone, downloads, and announces itself as a second seeder.
            await c.CallAsync("get", new JsonObject { ["uri"] = sdHash });
            await c.WaitForStatusAsync(sdHash, "completed");
            await WaitForPeersAsync(d, sdHash, 2);

            await e.CallAsync("get", new JsonObject { ["uri"] = sdHash });
            await WaitUntilAsync(async () => (await e.FileAsync(sdHash))["blobs_completed"]?.GetValue<int>() >= 2);
            await a.DisposeAsync();

            var file = await e.WaitForStatusAsync(sdHash, "completed");
            Assert.True(file["completed"]!.GetValue<bool>());
            Assert.Equal(TransferNode.Sha256(source), TransferNode.Sha256(file["download_path"]!.GetValue<string>()));
        }
        finally
        {
            await a.DisposeAsync();
        }
    }

    private static async Task WaitForPeersAsync(TransferNode asker, string sdHash, int count) =>
        await WaitUntilAsync(async () =>
            (await asker.CallAsync("peer_list", new JsonObject { ["blob_hash"] = sdHash }))!.AsArray().Count >= count);

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (!await condition())
        {
            await Task.Delay(100, limit.Token);
        }
    }
}
