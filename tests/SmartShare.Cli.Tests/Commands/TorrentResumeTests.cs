using System.Globalization;
using System.Text.Json;
using SmartShare.BitTorrent;
using SmartShare.BitTorrent.Storage;
using SmartShare.Cli.Tests.Support;
using SmartShare.IO;
using SmartShare.Lbry;
using Xunit.Abstractions;

namespace SmartShare.Cli.Tests.Commands;

/// <summary>
/// A torrent download whose node is killed with SIGKILL part-way resumes on the next start: the pieces verified
/// before the kill were recorded as they verified, so only the missing ones are fetched again.
/// </summary>
public sealed class TorrentResumeTests(ITestOutputHelper output) : IDisposable
{
    private const int FileLength = 3 * 1024 * 1024;

    // Slow enough that the kill lands part-way, with a piece (16 KiB for this size) every ~60 ms.
    private const int SeederUploadKibPerSecond = 256;

    private readonly CliWorkspace _seeder = new();
    private readonly CliWorkspace _getter = new();

    public void Dispose()
    {
        _seeder.Dispose();
        _getter.Dispose();
    }

    [Fact]
    public async Task A_node_killed_mid_torrent_fetches_only_the_missing_pieces_after_restart()
    {
        var source = _seeder.CreateRandomFile("lecture.webm", FileLength);
        var shared = (await _seeder.RunAsync("share", source, "--torrent", "--json")).ShouldSucceedWithJson();
        var torrentPath = shared.GetProperty("torrent").GetString()!;

        var seederEnvironment = new Dictionary<string, string?>(_seeder.Environment)
        {
            ["SMARTSHARE_MAX_UPLOAD_RATE"] = SeederUploadKibPerSecond.ToString(CultureInfo.InvariantCulture),
        };
        await using var seeder = StartNode(_seeder, seederEnvironment);
        var seederPort = await BtPortAsync(seeder);

        long haveAtKill;
        string finalPath;
        await using (var getter = StartNode(_getter, _getter.Environment))
        {
            var api = await ApiAsync(getter);
            await using var follow = BackgroundSmartShare.Start(
                ["get", torrentPath, "--peer", $"127.0.0.1:{seederPort}", "--api", api, "--data-dir", _getter.DataDirectory, "--json"],
                _getter.Root,
                _getter.Environment);

            // Kill as soon as 40% is verified; what file_list reported last is what the node had at least.
            var progress = await PollAsync(_getter, api, item => BytesHave(item) >= FileLength * 4L / 10, "the download passed 40%");
            haveAtKill = BytesHave(progress);
            await getter.StopAsync("KILL");
            Assert.True(haveAtKill < FileLength, "The download finished before it could be killed; the seeder's upload limit is not slowing it.");
            finalPath = progress.GetProperty("download_path").GetString()!;
        }

        // Killed mid-download: the data is only under the incomplete name.
        Assert.False(File.Exists(finalPath), $"{finalPath} exists before the torrent completed");
        Assert.True(File.Exists(finalPath + ".part"), $"{finalPath}.part is missing after the kill");

        await using var restarted = StartNode(_getter, _getter.Environment);
        var restartedApi = await ApiAsync(restarted);
        var done = await PollAsync(_getter, restartedApi, item => item.GetProperty("status").GetString() == "completed", "the restarted node completed the torrent");

        var received = done.GetProperty("received_bytes").GetInt64();
        var pieceLength = (FileLength + done.GetProperty("pieces_total").GetInt64() - 1) / done.GetProperty("pieces_total").GetInt64();
        var missing = FileLength - haveAtKill;
        output.WriteLine($"killed with {haveAtKill} of {FileLength} bytes verified; the restart received {received} bytes for {missing} missing (pieces of {pieceLength} bytes)");
        Assert.True(
            received <= missing + pieceLength,
            $"After the restart the node received {received} bytes, but only {missing} were missing at the kill (plus one {pieceLength}-byte piece in flight).");
        var path = done.GetProperty("download_path").GetString()!;
        Assert.Equal(finalPath, path);
        Assert.Equal(CliWorkspace.Sha256Of(source), CliWorkspace.Sha256Of(path));
        Assert.False(File.Exists(path + ".part"));
    }

    [Fact]
    public async Task A_seeding_node_killed_again_and_again_keeps_seeding_with_a_stamped_record_and_its_file_untouched()
    {
        var source = _seeder.CreateRandomFile("talk.webm", 1024 * 1024);
        File.SetLastWriteTimeUtc(source, DateTime.UtcNow.AddHours(-1)); // an old file: its stamp is not racy
        var stamp = File.GetLastWriteTimeUtc(source);
        var shared = (await _seeder.RunAsync("share", source, "--torrent", "--json")).ShouldSucceedWithJson();
        var infoHash = InfoHash.Parse(shared.GetProperty("info_hash").GetString()!);
        var resume = ResumeStore.Open(Path.Combine(_seeder.DataDirectory, LbryStorage.DatabaseFileName));
        var pieces = 0;
        for (var round = 0; round < 3; round++)
        {
            await using var node = StartNode(_seeder, _seeder.Environment);
            var api = await ApiAsync(node);
            var item = await PollAsync(_seeder, api, item => item.GetProperty("status").GetString() == "completed", $"the node seeded (start {round + 1})");
            pieces = item.GetProperty("pieces_total").GetInt32();
            Assert.Equal(pieces, item.GetProperty("pieces_have").GetInt32());
            Assert.Equal(0, item.GetProperty("received_bytes").GetInt64());

            // The first kill lands as soon as it seeds (the record may not be stamped yet); the others once it is.
            if (round > 0)
            {
                var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
                while (resume.LoadRecord(infoHash, pieces, 1) is not { Pieces.IsComplete: true, Stamps: [{ IsKnown: true }] })
                {
                    Assert.True(DateTime.UtcNow < deadline, "The seeding node never recorded its file's stamp.");
                    await Task.Delay(50);
                }
            }

            await node.StopAsync("KILL");
        }

        var record = resume.LoadRecord(infoHash, pieces, 1);
        Assert.NotNull(record);
        Assert.Equal(new FileStamp(1024 * 1024, stamp.Ticks), Assert.Single(record.Stamps!));
        Assert.Equal(stamp, File.GetLastWriteTimeUtc(source));
    }

    private static long BytesHave(JsonElement item) =>
        item.TryGetProperty("bytes_have", out var have) && have.ValueKind == JsonValueKind.Number ? have.GetInt64() : 0;

    // Asks a node for its torrent (each `list` is a process run, so the polling paces itself) until the condition
    // holds, within a time limit.
    private static async Task<JsonElement> PollAsync(CliWorkspace workspace, string api, Func<JsonElement, bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (true)
        {
            var list = (await workspace.RunAsync("list", "--api", api, "--json")).ShouldSucceedWithJson();
            var item = list.GetProperty("items").EnumerateArray().SingleOrDefault(entry => entry.TryGetProperty("type", out var type) && type.GetString() == "torrent");
            if (item.ValueKind == JsonValueKind.Object && condition(item))
            {
                return item.Clone();
            }

            Assert.True(DateTime.UtcNow < deadline, $"Timed out waiting until {what}.");
        }
    }

    private static async Task<string> ApiAsync(BackgroundSmartShare node) =>
        (await node.WaitForLineAsync(@"API on (http://127\.0\.0\.1:\d+)")).Groups[1].Value;

    private static async Task<int> BtPortAsync(BackgroundSmartShare node) =>
        int.Parse((await node.WaitForLineAsync(@"BitTorrent peers on TCP 127\.0\.0\.1:(\d+)")).Groups[1].Value, CultureInfo.InvariantCulture);

    private static BackgroundSmartShare StartNode(CliWorkspace workspace, IReadOnlyDictionary<string, string?> environment) =>
        BackgroundSmartShare.Start(
            [
                "start", "--port", "0", "--bt-port", "0", "--no-bt-dht", "--bind", "127.0.0.1", "--allow-lan", "--api", "http://127.0.0.1:0",
                "--download-dir", workspace.DownloadDirectory, "--data-dir", workspace.DataDirectory,
            ],
            workspace.Root,
            environment);
}
