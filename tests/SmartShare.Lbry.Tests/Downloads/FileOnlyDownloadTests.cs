using Microsoft.Extensions.Time.Testing;
using SmartShare.Lbry.Blobs;
using SmartShare.Lbry.Downloads;
using SmartShare.Lbry.Streams;
using SmartShare.Lbry.Tests.Support;

namespace SmartShare.Lbry.Tests.Downloads;

/// <summary>
/// A download with <see cref="StreamDownloadOptions.KeepDataBlobs"/> off (a node that serves finished streams from their
/// files): each byte is written once, into the file; the partial file is what a stopped or killed run resumes from, its
/// blobs checked again, so only what it lacks (or holds wrong) is fetched again.
/// </summary>
public sealed class FileOnlyDownloadTests : StreamDownloadTestBase
{
    private static readonly StreamDownloadOptions FileOnly = new() { KeepDataBlobs = false };

    [Fact]
    public async Task Writes_the_file_and_stores_no_data_blob()
    {
        var (source, created) = await ShareAsync((5L * Payload) + 777);
        Network.Add(1, Seeder.Blobs);

        var download = NewDownload(created.SdHash);
        download.AddPeers([Peer(1)]);
        var path = await download.RunAsync(Timeout());

        Assert.Equal(TestFiles.Sha256(source), TestFiles.Sha256(path!));
        Assert.True(download.WritesWithoutBlobs);
        Assert.Equal(0, StoredDataBlobs(created));
        Assert.NotNull(Downloader.Blobs.TryGetLength(created.SdHash));
        Assert.Empty(Directory.GetFiles(Temp.Combine("out"), "*.partial", SearchOption.AllDirectories));
        Assert.Equal(new FileInfo(source).Length, download.Progress.BytesWritten);

        // Each blob was decrypted into memory placed where its plaintext goes in the file: no copy on the way out.
        Assert.Equal(0, download.WriterStagedBytesForTests);
    }

    [Fact]
    public async Task Peers_faster_than_the_writer_wait_for_its_window_rather_than_store_the_blobs_ahead_of_it()
    {
        var (source, created) = await ShareAsync((12L * Payload) + 5);
        var first = created.Descriptor.DataBlobHash(0);
        var last = created.Descriptor.DataBlobs.Last().BlobHash!.Value;

        // Peer 1 alone has blob 0 and holds it back; peers 2 and 3 have the rest and answer at once.
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var slow = Network.Add(1, Seeder.Blobs, has: hash => hash == first);
        slow.BeforeAnswer = (_, token) => release.Task.WaitAsync(token);
        var fast = new[] { Network.Add(2, Seeder.Blobs, has: hash => hash != first), Network.Add(3, Seeder.Blobs, has: hash => hash != first) };

        var download = new StreamDownload(
            created.SdHash, Downloader, Network, finder: null, Temp.Combine("out"), new StreamDownloadOptions { KeepDataBlobs = false, MaxBufferedBlobs = 2 });
        download.AddPeers([Peer(1), Peer(2), Peer(3)]);
        var running = download.RunAsync(Timeout());

        // The window is blobs 0 and 1, and the last blob goes early (a player needs the length): the fast peers send
        // those and then wait. Were they not held back, they would send all twelve while blob 0 is held.
        int DataBlobsServed() => fast.Sum(peer => peer.Served.Count(hash => hash != created.SdHash));
        await WaitUntilAsync(() => (download.HeldBackPicks > 0 && DataBlobsServed() == 2) || DataBlobsServed() >= 12);
        Assert.Equal(2, DataBlobsServed());
        release.SetResult();
        var path = await running;

        Assert.Equal(TestFiles.Sha256(source), TestFiles.Sha256(path!));
        Assert.DoesNotContain(created.Descriptor.DataBlobs, blob => blob.BlobHash != last && Downloader.Blobs.TryGetLength(blob.BlobHash!.Value) is not null);
        Assert.Equal(12, fast.SelectMany(peer => peer.Served).Where(hash => hash != created.SdHash).Distinct().Count());
    }

    [Fact]
    public async Task A_blob_two_peers_deliver_at_once_is_written_whichever_copy_counts_first()
    {
        // One data blob, asked of both peers (the second has nothing else left to ask, so it asks the blob in flight),
        // both answers let go together. The copy that reaches the writer's memory first is held back until the other
        // copy, which found it there and kept nothing, has counted: before, the first copy was then dropped as a
        // duplicate and the download failed ("not in the local store").
        var (source, created) = await ShareAsync(Payload / 3);
        var blob = created.Descriptor.DataBlobHash(0);
        var asked = 0;
        var bothAsked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task Gate(BlobHash hash, CancellationToken token)
        {
            if (hash != blob)
            {
                return Task.CompletedTask;
            }

            if (Interlocked.Increment(ref asked) == 2)
            {
                bothAsked.TrySetResult();
            }

            return bothAsked.Task.WaitAsync(token);
        }

        var peers = new[] { Network.Add(1, Seeder.Blobs), Network.Add(2, Seeder.Blobs) };
        foreach (var peer in peers)
        {
            peer.BeforeAnswer = Gate;
        }

        var download = NewDownload(created.SdHash);
        var heldBack = 0;
        using var firstCounted = new ManualResetEventSlim();
        download.StepForTests = (step, index, buffered) =>
        {
            if (step == "count" && buffered && Interlocked.Exchange(ref heldBack, 1) == 0)
            {
                // The copy in the writer's memory waits until the other copy has counted...
                SpinWait.SpinUntil(() => download.HasBlobForTests(index), TimeSpan.FromSeconds(10));
            }
            else if (step == "counted" && buffered)
            {
                firstCounted.Set();
            }
            else if (step == "write" && Volatile.Read(ref heldBack) == 1)
            {
                // ...and the writer waits until it has counted too, so the writer looks only after the duplicate check.
                firstCounted.Wait(TimeSpan.FromSeconds(10));
            }
        };
        download.AddPeers([Peer(1), Peer(2)]);
        var path = await download.RunAsync(Timeout());

        Assert.Equal(2, peers.Sum(peer => peer.Served.Count(hash => hash == blob)));
        Assert.Equal(TestFiles.Sha256(source), TestFiles.Sha256(path!));
    }

    [Fact]
    public async Task On_a_clock_that_never_moves_a_download_from_several_peers_ends_every_wait_on_the_change_it_waits_for()
    {
        // A wait that missed its change would last until the next poll, which never comes on this clock: the download
        // would hang. Peers ahead of a small window wait for the writer, the writer for the blobs, over and over.
        var (source, created) = await ShareAsync((16L * Payload) + 3);
        foreach (var port in new[] { 1, 2, 3 })
        {
            Network.Add(port, Seeder.Blobs);
        }

        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        for (var round = 0; round < 4; round++)
        {
            var download = new StreamDownload(
                created.SdHash, Downloader, Network, finder: null, Temp.Combine($"out{round}"),
                new StreamDownloadOptions { KeepDataBlobs = false, MaxBufferedBlobs = 2 }, clock);
            download.AddPeers([Peer(1), Peer(2), Peer(3)]);
            var path = await download.RunAsync(Timeout());
            Assert.Equal(TestFiles.Sha256(source), TestFiles.Sha256(path!));
        }
    }

    [Fact]
    public async Task A_stopped_download_keeps_its_partial_file_and_resumes_from_it_fetching_only_what_it_lacks()
    {
        var (source, created) = await ShareAsync((5L * Payload) + 99);
        var partial = await StopAfterFiveBlobsAsync(created);

        var seeder = Network.Add(2, Seeder.Blobs);
        var download = NewDownload(created.SdHash);
        download.AddPeers([Peer(2)]);
        var path = await download.RunAsync(Timeout());

        Assert.Equal(TestFiles.Sha256(source), TestFiles.Sha256(path!));
        Assert.Equal(5, download.ResumedBlobs);
        Assert.Equal([created.Descriptor.DataBlobHash(5)], seeder.Served.ToList());
        Assert.False(File.Exists(partial));
        Assert.Equal(0, StoredDataBlobs(created));
    }

    [Fact]
    public async Task A_partial_file_changed_on_disk_is_fetched_again_from_the_first_blob_that_does_not_match()
    {
        var (source, created) = await ShareAsync((5L * Payload) + 99);
        var partial = await StopAfterFiveBlobsAsync(created);
        using (var file = File.OpenHandle(partial, FileMode.Open, FileAccess.ReadWrite))
        {
            // One byte in blob 2, as a torn write or a stray editor would leave it.
            var offset = (2L * Payload) + 1000;
            var one = new byte[1];
            RandomAccess.Read(file, one, offset);
            one[0] ^= 0x5a;
            RandomAccess.Write(file, one, offset);
        }

        var seeder = Network.Add(2, Seeder.Blobs);
        var download = NewDownload(created.SdHash);
        download.AddPeers([Peer(2)]);
        var path = await download.RunAsync(Timeout());

        Assert.Equal(TestFiles.Sha256(source), TestFiles.Sha256(path!));
        Assert.Equal(2, download.ResumedBlobs);
        Assert.Equal(
            Enumerable.Range(2, 4).Select(index => created.Descriptor.DataBlobHash(index).ToString()).Order().ToList(),
            seeder.Served.Select(hash => hash.ToString()).Order().ToList());
    }

    [Fact]
    public async Task A_reader_gets_a_blob_from_the_file_once_the_writer_wrote_it()
    {
        var (source, created) = await ShareAsync((3L * Payload) + 5);
        Network.Add(1, Seeder.Blobs);

        var download = NewDownload(created.SdHash);
        download.AddPeers([Peer(1)]);
        var running = download.RunAsync(Timeout());
        var buffer = new byte[BlobStore.MaxBlobSize];
        var length = await download.ReadWrittenAsync(1, buffer, Timeout());

        var expected = File.ReadAllBytes(source).AsSpan(Payload, Payload);
        Assert.Equal(Payload, length);
        Assert.True(expected.SequenceEqual(buffer.AsSpan(0, length)));
        await running;

        // Once the file has its name the reader finds it there.
        length = await download.ReadWrittenAsync(3, buffer, Timeout());
        Assert.Equal(5, length);
        Assert.True(File.ReadAllBytes(source).AsSpan(3 * Payload).SequenceEqual(buffer.AsSpan(0, length)));
    }

    [Fact]
    public async Task A_reader_gets_a_blob_from_the_writers_memory_without_waiting_for_the_writer()
    {
        var (source, created) = await ShareAsync((3L * Payload) + 5);
        Network.Add(1, Seeder.Blobs);

        var download = NewDownload(created.SdHash);
        using var read = new ManualResetEventSlim();
        download.StepForTests = (step, index, _) =>
        {
            if (step == "write" && index == 0)
            {
                // The writer holds blob 0 until the reader has it (at most 20 s, so a failing reader is reported).
                read.Wait(TimeSpan.FromSeconds(20));
            }
        };
        download.AddPeers([Peer(1)]);
        var running = download.RunAsync(Timeout());
        var buffer = new byte[BlobStore.MaxBlobSize];
        int length;
        long writtenBefore;
        try
        {
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            length = await download.ReadWrittenAsync(0, buffer, limit.Token);
            writtenBefore = download.Progress.BytesWritten;
        }
        finally
        {
            read.Set();
        }

        Assert.Equal(0, writtenBefore);
        Assert.Equal(Payload, length);
        Assert.True(File.ReadAllBytes(source).AsSpan(0, Payload).SequenceEqual(buffer.AsSpan(0, length)));
        var path = await running;
        Assert.Equal(TestFiles.Sha256(source), TestFiles.Sha256(path!));
    }

    [Fact]
    public async Task Readers_copying_blobs_from_the_writers_memory_while_it_writes_them_read_the_right_bytes()
    {
        // Each copy races the writer giving the blob's buffer back to the pool, where the next blob may take it.
        var (source, created) = await ShareAsync((12L * Payload) + 5);
        Network.Add(1, Seeder.Blobs);
        var expected = File.ReadAllBytes(source);

        var download = NewDownload(created.SdHash);
        download.AddPeers([Peer(1)]);
        var running = download.RunAsync(Timeout());
        var readers = Enumerable.Range(0, 3).Select(reader => Task.Run(async () =>
        {
            var buffer = new byte[BlobStore.MaxBlobSize];
            for (var index = 0; index < 12; index++)
            {
                var length = await download.ReadWrittenAsync(index, buffer, Timeout());
                Assert.Equal(Payload, length);
                Assert.True(expected.AsSpan(index * Payload, Payload).SequenceEqual(buffer.AsSpan(0, length)), $"reader {reader}, blob {index}");
            }
        })).ToList();

        await Task.WhenAll(readers);
        await running;
    }

    [Fact]
    public async Task The_partial_file_is_named_by_the_stream_so_a_node_can_find_it_to_delete_it()
    {
        var (_, created) = await ShareAsync((5L * Payload) + 99);
        var partial = await StopAfterFiveBlobsAsync(created);

        Assert.Equal(
            StreamOutputFile.PartialPathFor(Temp.Combine("out"), created.Descriptor.SuggestedFileName, StreamDownload.PartialTagOf(created.SdHash)),
            partial);
    }

    // Runs a download whose only peer lacks the last blob until the first five are in the file, then stops it; returns
    // the partial file it kept.
    private async Task<string> StopAfterFiveBlobsAsync(StreamCreateResult created)
    {
        var lastBlob = created.Descriptor.DataBlobs.Last().BlobHash!.Value;
        Network.Add(1, Seeder.Blobs, has: hash => hash != lastBlob);
        using var stop = new CancellationTokenSource();
        var download = NewDownload(created.SdHash);
        download.AddPeers([Peer(1)]);
        var running = download.RunAsync(stop.Token);
        await WaitUntilAsync(() => download.Progress.BytesWritten == 5L * Payload);
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);

        Assert.Equal(StreamDownloadState.Stopped, download.Progress.State);
        Assert.Equal(0, StoredDataBlobs(created));
        var partial = Assert.Single(Directory.GetFiles(Temp.Combine("out"), "*.partial", SearchOption.AllDirectories));
        Assert.Equal(5L * Payload, new FileInfo(partial).Length);
        return partial;
    }

    private int StoredDataBlobs(StreamCreateResult created) =>
        created.Descriptor.DataBlobs.Count(blob => Downloader.Blobs.TryGetLength(blob.BlobHash!.Value) is not null);

    private StreamDownload NewDownload(BlobHash sdHash) =>
        new(sdHash, Downloader, Network, finder: null, Temp.Combine("out"), FileOnly);
}
