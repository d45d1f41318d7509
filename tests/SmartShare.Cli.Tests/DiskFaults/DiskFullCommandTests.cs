using SmartShare.Cli.Tests.Support;
using SmartShare.Tests.Shared;
using Xunit.Abstractions;

namespace SmartShare.Cli.Tests.DiskFaults;

/// <summary>
/// What a user of the command line sees when the download disk fills up: two real nodes (<c>smartshare start</c>) on
/// loopback, a small tmpfs as the download folder. <c>get</c> keeps following through the pause, <c>list</c> shows the
/// sentence, and once space is freed the download completes by itself and <c>get</c> ends with the file.
/// </summary>
public sealed class DiskFullCommandTests(ITestOutputHelper output) : IDisposable
{
    private readonly CliWorkspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public async Task Get_onto_a_full_disk_says_so_in_list_keeps_following_and_completes_once_space_frees()
    {
        await using var disk = await SmallDisk.TryMountAsync(Path.Combine(_workspace.Root, "small-disk"), 12, output.WriteLine);
        if (disk is null)
        {
            return;
        }

        var seederData = Path.Combine(_workspace.Root, "seeder");
        var source = _workspace.CreateRandomFile("clip.bin", 5 * 1024 * 1024);
        var share = (await _workspace.RunWithoutDataDirAsync(["share", source, "--data-dir", seederData, "--json"])).ShouldSucceedWithJson();
        var sdHash = share.GetProperty("sd_hash").GetString()!;

        await using var seeder = BackgroundSmartShare.Start(
            ["start", "--port", "0", "--bind", "127.0.0.1", "--api-port", "0", "--data-dir", seederData], _workspace.Root, _workspace.Environment);
        var port = (await seeder.WaitForLineAsync(@"LBRY DHT listening on UDP 127\.0\.0\.1:(\d+)")).Groups[1].Value;
        await using var getter = BackgroundSmartShare.Start(
            ["start", "--port", "0", "--bind", "127.0.0.1", "--api-port", "0", "--data-dir", _workspace.DataDirectory], _workspace.Root, _workspace.Environment);
        await getter.WaitForLineAsync("Press Ctrl-C");

        var filler = disk.Fill(leaveFree: 2L * 1024 * 1024);
        var get = _workspace.RunAsync("get", sdHash, "--download-dir", disk.Path, "--peer", $"127.0.0.1:{port}", "--json");

        var sentence = $"The disk holding {disk.Path} is full; paused until there is free space there, then it goes on by itself";
        using (var limit = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
        {
            while (!(await _workspace.RunAsync("list")).StandardOutput.Contains(sentence, StringComparison.Ordinal))
            {
                Assert.False(get.IsCompleted, "get ended before the pause showed:\n" + (get.IsCompleted ? (await get).ToString() : ""));
                await Task.Delay(200, limit.Token);
            }
        }

        Assert.False(get.IsCompleted, "get ended while the download was paused:\n" + (get.IsCompleted ? (await get).ToString() : ""));

        File.Delete(filler);
        var result = await get;
        output.WriteLine(result.ToString());
        var file = result.ShouldSucceedWithJson();
        var path = file.GetProperty("path").GetString()!;
        Assert.Equal(CliWorkspace.Sha256Of(source), CliWorkspace.Sha256Of(path));
    }
}
