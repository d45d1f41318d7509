using System.Text;
using Microsoft.Extensions.DependencyInjection;
using SmartShare.Lbry.Blobs;
using SmartShare.Node.Client;
using SmartShare.Node.Downloads;
using SmartShare.Node.Hosting;
using SmartShare.Node.Http;
using SmartShare.Node.Settings;

namespace SmartShare.Node.Tests.Hosting;

/// <summary>
/// A node the CLI runs for one command (<see cref="NodeHostOptions.Transient"/>) touches nothing the next real start
/// owns: it resumes no interrupted download, and on stop it leaves another node's API token alone.
/// </summary>
public sealed class TransientNodeTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 5, 2, 0, 0, TimeSpan.Zero);

    private readonly NodeTestDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Only_a_real_start_resumes_an_interrupted_download(bool transient)
    {
        var sdHash = BlobHash.Compute(Encoding.ASCII.GetBytes("a stream nobody serves"));
        FileStore.Open(_directory.Path).Upsert(new FileRecord(
            sdHash, FileKind.Download, FileStatus.Downloading, _directory.Path, null, null, null, [], T0, null));

        await using var host = Host(transient);
        using (var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            await host.StartAsync(limit.Token);
        }

        var downloads = host.Services.GetRequiredService<DownloadManager>();
        Assert.Equal(!transient, downloads.Active(sdHash) is not null);
        await host.StopAsync();

        // Either way the entry is still waiting for the next start.
        Assert.Equal(FileStatus.Downloading, FileStore.Open(_directory.Path).Find(sdHash)!.Status);
    }

    [Fact]
    public async Task A_one_off_node_stopping_leaves_the_token_of_a_node_started_after_it()
    {
        await using var oneOff = Host(transient: true);
        await oneOff.StartAsync(CancellationToken.None);
        await using var started = Host(transient: false);
        await started.StartAsync(CancellationToken.None);

        await oneOff.StopAsync();

        var tokenFile = _directory.File(ApiAccess.TokenFileName);
        Assert.True(File.Exists(tokenFile));
        using var client = new NodeApiClient(started.ApiUri, timeout: TimeSpan.FromSeconds(30), authorization: NodeApiCredentials.For(_directory.Path, started.ApiUri, _ => null));
        Assert.NotNull(await client.CallAsync("status"));

        await started.StopAsync();
        Assert.False(File.Exists(tokenFile));
    }

    private NodeHost Host(bool transient) => new(new NodeHostOptions
    {
        DataDirectory = _directory.Path,
        Settings = NodeSettingsStore.Load(_directory.Path, TestNode.LoopbackFlags(), _ => null),
        Transient = transient,
    });
}
