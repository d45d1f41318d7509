using System.Net;
using SmartShare.Lbry.Blobs;
using SmartShare.Lbry.Downloads;
using SmartShare.Lbry.Streams;
using SmartShare.Lbry.Tests.Support;

namespace SmartShare.Lbry.Tests.Downloads;

public sealed class StreamDownloadTests : IDisposable
{
    private const int Payload = StreamEncryptor.PlaintextPerBlob;

    private readonly TempDirectory _temp = new();
    private readonly LbryStorage _seeder;
    private readonly LbryStorage _downloader;
    private readonly FakeBlobNetwork _network = new();

    public StreamDownloadTests()
    {
        _seeder = LbryStorage.Open(_temp.Combine("seeder"));
        _downloader = LbryStorage.Open(_temp.Combine("downloader"));
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Downloads_a_stream_from_one_peer_into_an_identical_file()
    {
        var (source, created) = await ShareAsync((6L * Payload) + 1234);
        _network.Add(1, _seeder.Blobs);

        var download = NewDownload(created.SdHash);
        download.AddPeers([Peer(1)]);
        var path = await download.RunAsync(Timeout());

        Assert.Equal(TestFiles.Sha256(source), TestFiles.Sha256(path!));
        Assert.Equal(Path.Combine(_temp.Combine("out"), Path.GetFileName(source)), path);
        var progress = download.Progress;
        Assert.Equal(StreamDownloadState.Completed, progress.State);
        Assert.Equal(7, progress.BlobsHave);
        Assert.Equal(progress.BytesTotal, progress.BytesHave);
        Assert.Equal(new FileInfo(source).Length, progress.BytesWritten);
        Assert.NotNull(_downloader.Streams.Find(created.SdHash));
        Assert.Empty(Directory.GetFiles(_temp.Combine("out"), "*.partial", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Spreads_blobs_over_several_peers()
    {
        var (source, created) = await ShareAsync(12L * Payload);
        var first = _network.Add(1, _seeder.Blobs);
        var second = _network.Add(2, _seeder.Blobs);

        var download = NewDownload(created.SdHash, new StreamDownloadOptions { MaxConnectionsPerPeer = 2 });
        download.AddPeers([Peer(1), Peer(2)]);
        var path = await download.RunAsync(Timeout());

        Assert.Equal(TestFiles.Sha256(source), TestFiles.Sha256(path!));
        Assert.NotEmpty(first.Served);
        Assert.NotEmpty(second.Served);
    }

    [Fact]
    public async Task Drops_a_peer_that_sends_corrupt_blobs_and_completes_from_an_honest_one()
    {
        var (source, created) = await ShareAsync(8L * Payload);
        var liar = _network.Add(1, _seeder.Blobs, FakePeerBehavior.SendsCorruptBlobs);
        _network.Add(2, _seeder.Blobs);

        var download = NewDownload(created.SdHash);
        download.AddPeers([Peer(1), Peer(2)]);
        var path = await download.RunAsync(Timeout());

        Assert.Equal(TestFiles.Sha256(source), TestFiles.Sha256(path!));
        Assert.Equal(1, liar.Requests);
        Assert.Equal(1, download.Progress.PeersKnown);
    }

    [Fact]
    public async Task Gets_blobs_a_peer_lacks_from_another_peer()
    {
        var (source, created) = await ShareAsync(6L * Payload);
        var oddBlobs = created.Descriptor.DataBlobs.Where(blob => blob.BlobNum % 2 == 1).Select(blob => blob.BlobHash!.Value).ToHashSet();
        var partial = _network.Add(1, _seeder.Blobs, has: hash => !oddBlobs.Contains(hash));
        var full = _network.Add(2, _seeder.Blobs);

        var download = NewDownload(created.SdHash);
        download.AddPeers([Peer(1), Peer(2)]);
        var path = await download.RunAsync(Timeout());

        Assert.Equal(TestFiles.Sha256(source), TestFiles.Sha256(path!));
        Assert.DoesNotContain(partial.Served, oddBlobs.Contains);
        Assert.Superset(oddBlobs, full.Served.ToHashSet());
    }

    [Fact]
    public async Task A_resumed_download_fetches_only_the_missing_blobs()
    {
        var (source, created) = await ShareAsync(6L * Payload);
        var held = created.Descriptor.DataBlobs.Take(4).Select(blob => blob.BlobHash!.Value).ToList();
        foreach (var hash in held.Append(created.SdHash))
        {
            _downloader.Blobs.AddVerified(hash, _seeder.Blobs.ReadAllVerified(hash));
        }

        var seeder = _network.Add(1, _seeder.Blobs);
        var download = NewDownload(created.SdHash);
        download.AddPeers([Peer(1)]);
        var path = await download.RunAsync(Timeout());

        Assert.Equal(TestFiles.Sha256(source), TestFiles.Sha256(path!));
        Assert.Equal(2, seeder.Served.Count);
        Assert.DoesNotContain(seeder.Served, held.Contains);
        Assert.DoesNotContain(created.SdHash, seeder.Served);

        // Only the blobs this run fetched (and hashed) count as checked: a streaming reader hashes the others.
        Assert.Equal([false, false, false, false, true, true], Enumerable.Range(0, 6).Select(download.VerifiedThisRun));
        Assert.False(download.VerifiedThisRun(6));
        Assert.False(download.VerifiedThisRun(-1));
    }

    [Fact]
    public async Task A_stalled_peer_does_not_stall_the_download()
    {
        var (source, created) = await ShareAsync(5L * Payload);
        var stalled = _network.Add(1, _seeder.Blobs, FakePeerBehavior.NeverAnswers);
        _network.Add(2, _seeder.Blobs);

        var download = NewDownload(created.SdHash, new StreamDownloadOptions { SlowBlobAfter = TimeSpan.FromMilliseconds(200) });
        download.AddPeers([Peer(1), Peer(2)]);
        var path = await download.RunAsync(Timeout());

        Assert.Equal(TestFiles.Sha256(source), TestFiles.Sha256(path!));
        Assert.True(stalled.Requests >= 1);
    }

    [Fact]
    public async Task Fails_with_the_hash_when_no_peer_is_found()
    {
        var (_, created) = await ShareAsync(1000);

        var download = NewDownload(created.SdHash, new StreamDownloadOptions { DescriptorTimeout = TimeSpan.FromMilliseconds(300) });
        var error = await Assert.ThrowsAsync<StreamDownloadException>(() => download.RunAsync(Timeout()));

        Assert.Contains(created.SdHash.ToString(), error.Message, StringComparison.Ordinal);
        Assert.Contains("No peer was found", error.Message, StringComparison.Ordinal);
        Assert.Equal(StreamDownloadState.Failed, download.Progress.State);
    }

    [Fact]
    public async Task Refuses_an_sd_blob_that_is_not_a_descriptor_and_names_it()
    {
        var (junkHash, _) = _seeder.Blobs.Add("{\"not\": \"a descriptor\"}"u8);
        _network.Add(1, _seeder.Blobs);

        var download = NewDownload(junkHash);
        download.AddPeers([Peer(1)]);
        var error = await Assert.ThrowsAsync<StreamDownloadException>(() => download.RunAsync(Timeout()));

        Assert.Contains($"The descriptor (sd blob) {junkHash} is not a valid stream descriptor", error.Message, StringComparison.Ordinal);
        Assert.Null(_downloader.Blobs.TryGetLength(junkHash));
        Assert.False(Directory.Exists(_temp.Combine("out")) && Directory.EnumerateFileSystemEntries(_temp.Combine("out")).Any());
    }

    [Fact]
    public async Task Stopping_keeps_fetched_blobs_and_leaves_no_partial_file()
    {
        var (_, created) = await ShareAsync(6L * Payload);
        var lastBlob = created.Descriptor.DataBlobs.Last().BlobHash!.Value;
        _network.Add(1, _seeder.Blobs, has: hash => hash != lastBlob);

        using var stop = new CancellationTokenSource();
        var download = NewDownload(created.SdHash);
        download.AddPeers([Peer(1)]);
        var running = download.RunAsync(stop.Token);
        await WaitUntilAsync(() => download.Progress.BlobsHave == 5);
        await stop.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
        Assert.Equal(StreamDownloadState.Stopped, download.Progress.State);
        Assert.Equal(5, created.Descriptor.DataBlobs.Count(blob => _downloader.Blobs.TryGetLength(blob.BlobHash!.Value) is not null));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_temp.Combine("out")));
    }

    [Fact]
    public async Task A_streaming_reader_gets_the_blobs_it_waits_for()
    {
        var (_, created) = await ShareAsync(6L * Payload);
        _network.Add(1, _seeder.Blobs);

        var download = NewDownload(created.SdHash, new StreamDownloadOptions { WriteFile = false });
        download.AddPeers([Peer(1)]);
        var running = download.RunAsync(Timeout());
        await download.WaitForBlobsAsync(5, 5, Timeout());

        Assert.NotNull(_downloader.Blobs.TryGetLength(created.Descriptor.DataBlobHash(5)));
        Assert.Null(await running);
    }

    private StreamDownload NewDownload(BlobHash sdHash, StreamDownloadOptions? options = null) =>
        new(sdHash, _downloader, _network, finder: null, _temp.Combine("out"), options);

    private async Task<(string Source, StreamCreateResult Created)> ShareAsync(long size)
    {
        var source = TestFiles.Write(_temp.Combine($"source-{size}.bin"), size, seed: (int)(size % 1000));
        var created = await new StreamEncryptor(_seeder, SecureRandomSource.Instance).CreateAsync(source);
        return (source, created);
    }

    private static IPEndPoint Peer(int port) => new(IPAddress.Loopback, port);

    private static CancellationToken Timeout() => new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token;

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!condition())
        {
            await Task.Delay(10, limit.Token);
        }
    }
}
