using System.Text.Json.Nodes;
using SmartShare.Interop.Tests.Clients;
using SmartShare.Node.Settings;
using SmartShare.Tests.Shared;

namespace SmartShare.Interop.Tests.Ours;

/// <summary>
/// Speed limits against libtorrent over loopback: our node downloading from a libtorrent seeder under a download
/// limit, seeding to a libtorrent leecher under an upload limit, and a download limit lowered mid-transfer. The rate
/// is read from our node's payload counters (bytes_received, bytes_sent) and must stay within 10% of the limit
/// over about 10 s.
/// </summary>
public sealed class RateLimitTests : IDisposable
{
    private const long MiB = 1024 * 1024;
    private const int LimitKib = 2048;

    private readonly InteropDirectory _directory = new();

    [Fact]
    public async Task Our_node_downloading_from_libtorrent_keeps_to_its_download_limit()
    {
        var (seeder, torrent, infoHash, source) = await StartSeederAsync(24 * MiB);
        await using var _ = seeder;
        await using var node = await OurNode.StartAsync(_directory.Folder("ours"), flags => flags[NodeSettingKeys.MaxDownloadRate] = LimitKib);
        await node.GetTorrentAsync(torrent, [seeder.Endpoint]);
        var probe = Counter(node, infoHash, "bytes_received");

        Assert.True(await probe.PollUntilAsync((bytes, _) => bytes >= 24 * MiB, TimeSpan.FromSeconds(60)), $"24 MiB did not arrive: {probe.Describe()}\n{node.Describe()}");
        var done = await node.WaitForCompletedAsync(infoHash, TimeSpan.FromSeconds(30), seeder.Describe);

        TestFiles.AssertSameFile(source, done["download_path"]!.GetValue<string>());
        AssertRate(probe, LimitKib, from: 4 * MiB);
    }

    [Fact]
    public async Task Libtorrent_downloading_from_our_node_keeps_to_our_upload_limit()
    {
        await using var node = await OurNode.StartAsync(_directory.Folder("ours"), flags => flags[NodeSettingKeys.MaxUploadRate] = LimitKib);
        var source = TestFiles.WriteRandom(Path.Combine(_directory.Folder("share"), "shared.bin"), 24 * MiB);
        var torrent = _directory.File("shared.torrent");
        var infoHash = (await node.ShareTorrentAsync(source, torrent))["info_hash"]!.GetValue<string>();
        await node.WaitForSeedingAsync(infoHash, TimeSpan.FromSeconds(30));
        var downloads = _directory.Folder("libtorrent");
        await using var leecher = await LibtorrentPeer.StartListeningAsync(new LibtorrentOptions { TorrentPath = torrent, SavePath = downloads });
        leecher.ConnectPeer(node.BitTorrentEndPoint);
        var probe = Counter(node, infoHash, "bytes_sent");

        Assert.True(await probe.PollUntilAsync((bytes, _) => bytes >= 24 * MiB, TimeSpan.FromSeconds(60)), $"24 MiB were not sent: {probe.Describe()}\n{node.Describe()}\n{leecher.Describe()}");
        await leecher.WaitForFinishedAsync(TimeSpan.FromSeconds(30));

        TestFiles.AssertSameFile(source, Path.Combine(downloads, "shared.bin"));
        AssertRate(probe, LimitKib, from: 4 * MiB);
    }

    [Fact]
    public async Task A_download_limit_lowered_mid_transfer_applies_within_a_second()
    {
        var (seeder, torrent, infoHash, _) = await StartSeederAsync(24 * MiB);
        await using var __ = seeder;
        // Through settings_set, as a user would: a start-up flag would win over it.
        await using var node = await OurNode.StartAsync(_directory.Folder("ours"));
        await node.CallAsync("settings_set", new JsonObject { ["key"] = NodeSettingKeys.MaxDownloadRate, ["value"] = 4096 });
        await node.GetTorrentAsync(torrent, [seeder.Endpoint]);
        var probe = Counter(node, infoHash, "bytes_received");
        Assert.True(await probe.PollUntilAsync((bytes, _) => bytes >= 10 * MiB, TimeSpan.FromSeconds(30)), $"10 MiB did not arrive: {probe.Describe()}\n{node.Describe()}");
        var before = probe.RateBetween(probe.Changes.First(change => change.Bytes >= 2 * MiB).Seconds, probe.Now);

        await node.CallAsync("settings_set", new JsonObject { ["key"] = NodeSettingKeys.MaxDownloadRate, ["value"] = 1024 });
        var changed = probe.Now;
        await probe.PollUntilAsync((_, now) => now >= changed + 7, TimeSpan.FromSeconds(10));

        Assert.True(before is { } fast && Math.Abs(fast - (4096 * 1024)) <= 0.1 * 4096 * 1024, $"before the change: {before / MiB:0.00} MiB/s, not 4 MiB/s ±10%; {probe.Describe()}");
        // Each second-long window from one second after the change runs at the new limit, and so does the whole.
        for (var window = 1; window < 7; window += 2)
        {
            var rate = probe.RateBetween(changed + window, changed + window + 2);
            Assert.True(rate is { } slow && Math.Abs(slow - MiB) <= 0.15 * MiB, $"{window}-{window + 2} s after the change: {rate / MiB:0.00} MiB/s, not 1 MiB/s ±15%; {probe.Describe()}");
        }

        var after = probe.RateBetween(changed + 1, changed + 7);
        Assert.True(after is { } total && Math.Abs(total - MiB) <= 0.1 * MiB, $"after the change: {after / MiB:0.00} MiB/s, not 1 MiB/s ±10%; {probe.Describe()}");
    }

    [Fact]
    public async Task An_upload_limit_raised_mid_seed_applies_within_a_second()
    {
        await using var node = await OurNode.StartAsync(_directory.Folder("ours"));
        await node.CallAsync("settings_set", new JsonObject { ["key"] = NodeSettingKeys.MaxUploadRate, ["value"] = 512 });
        var source = TestFiles.WriteRandom(Path.Combine(_directory.Folder("share"), "shared.bin"), 16 * MiB);
        var torrent = _directory.File("shared.torrent");
        var infoHash = (await node.ShareTorrentAsync(source, torrent))["info_hash"]!.GetValue<string>();
        await node.WaitForSeedingAsync(infoHash, TimeSpan.FromSeconds(30));
        var downloads = _directory.Folder("libtorrent");
        await using var leecher = await LibtorrentPeer.StartListeningAsync(new LibtorrentOptions { TorrentPath = torrent, SavePath = downloads });
        leecher.ConnectPeer(node.BitTorrentEndPoint);
        var probe = Counter(node, infoHash, "bytes_sent");
        Assert.True(await probe.PollUntilAsync((bytes, _) => bytes >= 2 * MiB, TimeSpan.FromSeconds(30)), $"2 MiB were not sent: {probe.Describe()}\n{node.Describe()}");

        await node.CallAsync("settings_set", new JsonObject { ["key"] = NodeSettingKeys.MaxUploadRate, ["value"] = 2048 });
        var changed = probe.Now;
        await probe.PollUntilAsync((_, now) => now >= changed + 5, TimeSpan.FromSeconds(10));

        // Uploads already under way speed up: each two-second window from one second after the change runs at the new limit.
        for (var window = 1; window < 5; window += 2)
        {
            var rate = probe.RateBetween(changed + window, changed + window + 2);
            Assert.True(rate is { } fast && Math.Abs(fast - (2 * MiB)) <= 0.15 * 2 * MiB, $"{window}-{window + 2} s after the change: {rate / MiB:0.00} MiB/s, not 2 MiB/s ±15%; {probe.Describe()}");
        }

        await leecher.WaitForFinishedAsync(TimeSpan.FromSeconds(30));
        TestFiles.AssertSameFile(source, Path.Combine(downloads, "shared.bin"));
    }

    public void Dispose() => _directory.Dispose();

    private async Task<(LibtorrentPeer Seeder, string Torrent, string InfoHash, string Source)> StartSeederAsync(long size)
    {
        var seedFolder = _directory.Folder("seed");
        var source = TestFiles.WriteRandom(Path.Combine(seedFolder, "film.bin"), size);
        var torrent = await MkTorrent.CreateAsync(source, _directory.File("film.torrent"), pieceLengthLog2: 18);
        var seeder = await LibtorrentPeer.StartListeningAsync(new LibtorrentOptions { Seed = true, TorrentPath = torrent, SavePath = seedFolder });
        await seeder.WaitForFinishedAsync(TimeSpan.FromSeconds(30));
        return (seeder, torrent, MkTorrent.InfoHashOf(torrent).ToString(), source);
    }

    private static RateProbe Counter(OurNode node, string infoHash, string field) =>
        new(async () => (await node.TorrentAsync(infoHash))["progress"]?[field]?.GetValue<long>() ?? 0);

    // From past the burst (the limiter's quarter second, the sockets' buffers) to the last byte.
    private static void AssertRate(RateProbe probe, int limitKib, long from)
    {
        var start = probe.Changes.First(change => change.Bytes >= from);
        var end = probe.Changes[^1];
        var rate = probe.RateBetween(start.Seconds, end.Seconds);
        var limit = limitKib * 1024.0;
        Assert.True(end.Seconds - start.Seconds >= 7, $"The measured stretch is only {end.Seconds - start.Seconds:0.0} s: {probe.Describe()}");
        Assert.True(rate is { } observed && Math.Abs(observed - limit) <= 0.1 * limit, $"Observed {rate / MiB:0.000} MiB/s, not {limit / MiB:0.000} MiB/s ±10%: {probe.Describe()}");
    }
}
