using System.Net;
using SmartShare.Lbry.Blobs;
using SmartShare.Lbry.Streams;

namespace SmartShare.Node.Tests.Downloads;

/// <summary>
/// <c>/stream</c> of a stream whose descriptor the node has but whose last blob (the one that tells the length) no peer
/// sends: the player gets a 504 and a sentence once the wait is over, not a request left hanging, and the download
/// goes on.
/// </summary>
public sealed class StreamOpenWaitTests : IDisposable
{
    private readonly NodeTestDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task A_stream_whose_last_blob_nobody_sends_answers_504_after_the_wait_and_keeps_downloading()
    {
        await using var seeder = await TransferNode.StartAsync("A", _temp.File("a"));
        await using var getter = await TransferNode.StartAsync("B", _temp.File("b"));
        var source = TransferNode.WriteRandomFile(_temp.File("clip.mp4"), (3L * StreamEncryptor.PlaintextPerBlob) + 5, seed: 7);
        var sdHash = await seeder.ShareAsync(source);

        // The getter holds the descriptor alone, and knows no peer to ask for the blobs.
        var descriptor = seeder.Host.Storage.Blobs.ReadAllVerified(BlobHash.Parse(sdHash));
        using (var batch = getter.Host.Storage.Blobs.BeginBatch())
        {
            batch.Add(descriptor);
            batch.Commit();
        }

        getter.Manager.StreamOpenWait = TimeSpan.FromSeconds(1);

        using var response = await getter.GetStreamAsync(sdHash, "bytes=0-").WaitAsync(TimeSpan.FromSeconds(60));
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.Contains("blob 3 of", text, StringComparison.Ordinal);
        Assert.Contains("which tells the stream's length, within 1 s", text, StringComparison.Ordinal);
        Assert.Equal("running", (await getter.FileAsync(sdHash))["status"]!.GetValue<string>());
    }
}
