using System.Net;
using System.Text.Json.Nodes;

namespace SmartShare.Cli.Tests.Chaos;

public sealed partial class KillRestartTests
{
    // The most of the seeder's answer let through before the relay holds it: within the BitTorrent and extension
    // handshakes and the start of the metadata message, never the whole metadata, so the fetch cannot finish.
    private const int MagnetAllowanceBytes = 400;

    // A magnet whose only peer (its x.pe) is the seeder behind a gated relay: the victim lists it and starts fetching
    // its metadata, which the relay holds part-way; the kill lands inside the fetch. After the restart (relay still
    // held) the magnet must be listed and fetching again; once the relay opens it completes and matches its source.
    private async Task<ChaosNode> MagnetAsync(ChaosNode seeder, ChaosNode victim, Random random, string where)
    {
        var name = $"magnet-{Guid.NewGuid():N}.bin";
        var source = CreateSource(_seeder, name, TorrentBytes, random);
        var shared = await seeder.CallAsync("stream_create", new JsonObject { ["file_path"] = source, ["torrent"] = true });
        var key = (string)shared["info_hash"]!;
        await using var relay = new GatedRelay(new IPEndPoint(IPAddress.Loopback, seeder.BtPort), random.Next(0, MagnetAllowanceBytes));
        var magnet = $"magnet:?xt=urn:btih:{key}&dn={name}&xl={TorrentBytes}&x.pe=127.0.0.1:{relay.Port}";
        var call = victim.CallAsync("get", new JsonObject { ["uri"] = magnet, ["timeout"] = 30 });

        await WaitAsync(victim, key, FetchingMetadata, $"{where}: before the kill");
        await Task.Delay(random.Next(0, 500));
        var before = await victim.TransferAsync(key);
        Assert.True(before is not null && FetchingMetadata(before), $"{where}: the magnet left the metadata fetch before the kill: {before?.ToJsonString()}");
        await victim.KillAsync();
        await ObserveAsync(call);
        await victim.DisposeAsync();

        var restarted = await RestartAsync(where);
        var again = await WaitAsync(restarted, key, FetchingMetadata, $"{where}: after the restart (the magnet is listed and fetches its metadata again)");
        output.WriteLine($"{where}: killed while fetching the metadata; after the restart the magnet is listed as {(string?)again["status"]}");
        relay.Open();
        var done = await WaitAsync(restarted, key, item => (string?)item["status"] is "completed" or "seeding" || (bool?)item["completed"] == true, where);
        var path = (string)done["download_path"]!;
        Assert.True(Sha(path) == _sources[name], $"{where}: {path} does not match its source after the restart.");
        return restarted;
    }

    private static bool FetchingMetadata(JsonObject item) => (string?)item["status"] == "metadata" || (string?)item["state"] == "fetching_metadata";
}
