using SmartShare.Lbry.Blobs;
using SmartShare.Lbry.Downloads;
using SmartShare.Lbry.Streams;
using SmartShare.Lbry.Tests.Support;

namespace SmartShare.Lbry.Tests.Downloads;

public sealed class StreamDownloadTests : StreamDownloadTestBase
{

    [Fact]
    public async Task Downloads_a_stream_from_one_peer_into_an_identical_file()
    {
        var (source, created) = await ShareAsync((6L * Payload) + 1234);
        Network.Add(1, Seeder.Blobs);

        var download = NewDownload(created.SdHash);
        download.AddPeers([Peer(1)]);
        var path = await download.RunAsync(Timeout());

        Assert.Equal(TestFiles.Sha256(source), TestFiles.Sha256(path!));
        Assert.Equal(Path.Combine(Temp.Combine("out"), Path.GetFileName(source)), path);
        var progress = download.Progress;
        Assert.Equal(StreamDownloadState.Completed, progress.State);
        Assert.Equal(7, progress.BlobsHave);
        Assert.Equal(progress.BytesTotal, progress.BytesHave);
        Assert.Equal(new FileInfo(source).Length, progress.BytesWritten);
        Assert.NotNull(Downloader.Streams.Find(created.SdHash));
        Assert.Empty(Directory.GetFiles(Temp.Combine("out"), "*.partial", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Spreads_blobs_over_several_peers()
    {
        var (source, created) = await ShareAsync(12L * Payload);
        var first = Network.Add(1, Seeder.Blobs);
        var second = Network.Add(2, Seeder.Blobs);

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
        var liar = Network.Add(1, Seeder.Blobs, FakePeerBehavior.SendsCorruptBlobs);
        Network.Add(2, Seeder.Blobs);

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
        var partial = Network.Add(1, Seeder.Blobs, has: hash => !oddBlobs.Contains(hash));
        var full = Network.Add(2, Seeder.Blobs);

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
            Downloader.Blobs.AddVerified(hash, Seeder.Blobs.ReadAllVerified(hash));
        }

        var seeder = Network.Add(1, Seeder.Blobs);
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
        var stalled = Network.Add(1, Seeder.Blobs, FakePeerBehavior.NeverAnswers);
        Network.Add(2, Seeder.Blobs);

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
        var (junkHash, _) = Seeder.Blobs.Add("{\"not\": \"a descriptor\"}"u8);
        Network.Add(1, Seeder.Blobs);

        var download = NewDownload(junkHash);
        download.AddPeers([Peer(1)]);
        var error = await Assert.ThrowsAsync<StreamDownloadException>(() => download.RunAsync(Timeout()));

        Assert.Contains($"The descriptor (sd blob) {junkHash} is not a valid stream descriptor", error.Message, StringComparison.Ordinal);
        Assert.Null(Downloader.Blobs.TryGetLength(junkHash));
        Assert.False(Directory.Exists(Temp.Combine("out")) && Directory.EnumerateFileSystemEntries(Temp.Combine("out")).Any());
    }

    [Fact]
    public async Task Stopping_keeps_fetched_blobs_and_leaves_no_partial_file()
    {
        var (_, created) = await ShareAsync(6L * Payload);
        var lastBlob = created.Descriptor.DataBlobs.Last().BlobHash!.Value;
        Network.Add(1, Seeder.Blobs, has: hash => hash != lastBlob);

        using var stop = new CancellationTokenSource();
        var download = NewDownload(created.SdHash);
        download.AddPeers([Peer(1)]);
        var running = download.RunAsync(stop.Token);
        await WaitUntilAsync(() => download.Progress.BlobsHave == 5);
        await stop.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
        Assert.Equal(StreamDownloadState.Stopped, download.Progress.State);
        Assert.Equal(5, created.Descriptor.DataBlobs.Count(blob => Downloader.Blobs.TryGetLength(blob.BlobHash!.Value) is not null));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Temp.Combine("out")));
    }

    [Fact]
    public async Task A_streaming_reader_gets_the_blobs_it_waits_for()
    {
        var (_, created) = await ShareAsync(6L * Payload);
        Network.Add(1, Seeder.Blobs);

        var download = NewDownload(created.SdHash, new StreamDownloadOptions { WriteFile = false });
        download.AddPeers([Peer(1)]);
        var running = download.RunAsync(Timeout());
        await download.WaitForBlobsAsync(5, 5, Timeout());

        Assert.NotNull(Downloader.Blobs.TryGetLength(created.Descriptor.DataBlobHash(5)));
        Assert.Null(await running);
    }

    private StreamDownload NewDownload(BlobHash sdHash, StreamDownloadOptions? options = null) =>
        new(sdHash, Downloader, Network, finder: null, Temp.Combine("out"), options);
}
