using System.Text.Json.Nodes;
using SmartShare.Lbry.Downloads;
using SmartShare.Node.Settings;
using SmartShare.Node.Tests.Downloads;
using SmartShare.Tests.Shared;

namespace SmartShare.Node.Tests.Limits;

/// <summary>
/// LBRY streams between two of our nodes over loopback under speed limits: the observed rate over about 10 s stays
/// within 10% of the limit, for the getter's download limit, the seeder's upload limit, and a stream's own limit
/// lowered while it runs. The getter uses one connection, so blobs arrive one after another and the rate between
/// blob arrivals is the rate on the wire.
/// </summary>
public sealed class StreamRateLimitTests : IDisposable
{
    private const int LimitKib = 2048;
    private const long MiB = 1024 * 1024;

    private readonly NodeTestDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task A_download_limit_holds_the_stream_to_its_rate()
    {
        await using var seeder = await TransferNode.StartAsync("seeder", _directory.File("seeder"));
        await using var getter = await StartGetterAsync(_directory.File("getter"), Settings((NodeSettingKeys.MaxDownloadRate, LimitKib)));

        var probe = await DownloadAsync(seeder, getter, 24 * MiB, seed: 41);

        AssertRate(probe, LimitKib, from: 4 * MiB);
    }

    [Fact]
    public async Task An_upload_limit_holds_the_stream_to_its_rate()
    {
        await using var seeder = await TransferNode.StartAsync("seeder", _directory.File("seeder"), extra: Settings((NodeSettingKeys.MaxUploadRate, LimitKib)));
        await using var getter = await StartGetterAsync(_directory.File("getter"), Settings());

        var probe = await DownloadAsync(seeder, getter, 24 * MiB, seed: 42);

        AssertRate(probe, LimitKib, from: 4 * MiB);
    }

    [Fact]
    public async Task A_streams_own_limit_set_while_it_runs_applies_within_a_second()
    {
        await using var seeder = await TransferNode.StartAsync("seeder", _directory.File("seeder"));
        // The node's limit (4 MiB/s) holds the stream until its own (1 MiB/s) is set.
        await using var getter = await StartGetterAsync(_directory.File("getter"), Settings((NodeSettingKeys.MaxDownloadRate, 4096)));
        var source = TransferNode.WriteRandomFile(_directory.File("film.bin"), 24 * MiB, seed: 43);
        var sdHash = await seeder.ShareAsync(source);
        await getter.CallAsync("get", new JsonObject { ["uri"] = sdHash, ["peers"] = new JsonArray(seeder.BlobEndPoint.ToString()) });
        var probe = Probe(getter, sdHash);

        Assert.True(await probe.PollUntilAsync((bytes, _) => bytes >= 8 * MiB, TimeSpan.FromSeconds(30)), $"8 MiB did not arrive: {probe.Describe()}");
        var before = probe.RateBetween(probe.Changes.First(change => change.Bytes >= 2 * MiB).Seconds, probe.Now);
        await getter.CallAsync("transfer_set_limits", new JsonObject { ["key"] = sdHash, ["download_rate"] = 1024 });
        var changed = probe.Now;
        await probe.PollUntilAsync((_, now) => now >= changed + 10.5, TimeSpan.FromSeconds(13));

        var view = await getter.FileAsync(sdHash);
        Assert.Equal(1024, view["download_limit"]!.GetValue<int>());
        // Before the change the stream runs well above the new limit (the node's 4 MiB/s; on a loaded CI machine the
        // gaps between blobs once held it to 3.1 MiB/s), so the change has something to slow down.
        Assert.True(before > 4096 * 1024 * 0.6, $"before the change: {before / MiB:0.00} MiB/s; {probe.Describe()}");
        // From one second after the change the stream runs at the new limit: never more than 10% over it. Below it by
        // up to 20%: one connection asks for its 2 MiB blobs one after another, and on a loaded machine the gap
        // between a blob's end and the next request (verify, write, ask) is time the limiter cannot lend back
        // (a full suite run once measured 0.90 MiB/s here; a quiet machine stays within 10%). The window is 9.5 s, about
        // five blobs, so that one blob held up by a loaded machine does not decide it (in a 6.5 s window, one blob
        // that took 3.3 s instead of 2 gave 0.75 MiB/s).
        var after = probe.RateBetween(changed + 1, probe.Now);
        Assert.True(
            after is { } rate && rate <= 1.1 * 1024 * 1024 && rate >= 0.8 * 1024 * 1024,
            $"after the change: {after / MiB:0.00} MiB/s, not 1 MiB/s (at most +10%, at least -20%); {probe.Describe()}");
    }

    private static Dictionary<string, JsonNode?> Settings(params (string Key, int Value)[] settings)
    {
        var flags = new Dictionary<string, JsonNode?>();
        foreach (var (key, value) in settings)
        {
            flags[key] = value;
        }

        return flags;
    }

    private async Task<RateProbe> DownloadAsync(TransferNode seeder, TransferNode getter, long size, int seed)
    {
        var source = TransferNode.WriteRandomFile(_directory.File("film.bin"), size, seed);
        var sdHash = await seeder.ShareAsync(source);
        await getter.CallAsync("get", new JsonObject { ["uri"] = sdHash, ["peers"] = new JsonArray(seeder.BlobEndPoint.ToString()) });
        var probe = Probe(getter, sdHash);
        var done = await probe.PollUntilAsync((bytes, _) => bytes >= size, TimeSpan.FromSeconds(60));
        // The encrypted blobs hold a little more than the file (padding); all of them arrive.
        Assert.True(done, $"The stream did not arrive in 60 s: {probe.Describe()}");
        await getter.WaitForStatusAsync(sdHash, "completed");
        Assert.Equal(TransferNode.Sha256(source), TransferNode.Sha256((await getter.FileAsync(sdHash))["download_path"]!.GetValue<string>()));
        return probe;
    }

    // Bytes verified in the store: they stay when the download ends, unlike the run's bytes received.
    private static RateProbe Probe(TransferNode getter, string sdHash) =>
        new(async () => (await getter.FileAsync(sdHash))["progress"]!["bytes_have"]!.GetValue<long>());

    // One connection at a time, so blobs arrive one after another.
    private static async Task<TransferNode> StartGetterAsync(string root, Dictionary<string, JsonNode?> settings)
    {
        var getter = await TransferNode.StartAsync("getter", root, extra: settings);
        getter.Manager.DownloadOptions = new StreamDownloadOptions
        {
            MaxConnections = 1,
            DescriptorTimeout = TimeSpan.FromSeconds(20),
            StallTimeout = TimeSpan.FromSeconds(20),
            PeerSearchInterval = TimeSpan.FromSeconds(1),
        };
        return getter;
    }

    // From the first blob past the burst (the limiter's quarter second, the sockets' buffers) to the last.
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
