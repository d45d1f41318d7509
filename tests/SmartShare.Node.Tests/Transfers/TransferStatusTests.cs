using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using SmartShare.Node.Tests.Downloads;
using SmartShare.Node.Transfers;

namespace SmartShare.Node.Tests.Transfers;

/// <summary>
/// The statuses the queue decides from say what the transfers' views say, on a real node, for both networks and the
/// states a node shows: shared and seeding, stopped, a magnet fetching its metadata, a stream download fetching its descriptor.
/// </summary>
public sealed class TransferStatusTests : IDisposable
{
    private readonly NodeTestDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Each_transfers_status_says_what_its_view_says()
    {
        await using var node = await TransferNode.StartAsync("node", _directory.File("node"));
        var manager = node.Host.Services.GetRequiredService<TransferManager>();
        var both = await AddEveryKindAsync(node, manager);

        var (statuses, views) = await ReadBothAsync(manager);

        Assert.Equal(7, views.Count);
        Assert.Equal(views.Select(view => view.Key.Hash).Order(StringComparer.Ordinal), statuses.Select(status => status.Key.Hash).Order(StringComparer.Ordinal));
        foreach (var view in views)
        {
            var status = statuses.Single(status => status.Key == view.Key);
            Assert.Equal(TransferStatus.Of(view) with { Size = status.Size }, status);
            if (view.State == TransferState.Seeding && view.Key.Network == TransferNetwork.Torrent)
            {
                // What a seeding torrent's ratio divides by.
                Assert.Equal(view.Progress.BytesTotal, status.Size);
            }
            else if (status.Size is { } size)
            {
                Assert.Equal(view.Progress.BytesTotal, size);
            }
        }

        Assert.Equal(
            [TransferState.FetchingMetadata, TransferState.FetchingMetadata, TransferState.Seeding, TransferState.Seeding, TransferState.Seeding, TransferState.Stopped, TransferState.Stopped],
            statuses.Select(status => status.State).Order());
        Assert.Contains(statuses, status => status.Key.Hash == both["info_hash"]!.GetValue<string>() && status.Size == 300_000);
    }

    [Fact]
    public async Task Each_transfers_row_says_what_its_view_says_with_the_queues_part()
    {
        await using var node = await TransferNode.StartAsync("node", _directory.File("node"));
        var manager = node.Host.Services.GetRequiredService<TransferManager>();
        await AddEveryKindAsync(node, manager);

        var (rows, views) = await ReadRowsAsync(manager);

        Assert.Equal(7, views.Count);
        Assert.Equal(views.Select(view => view.Key.Hash).Order(StringComparer.Ordinal), rows.Select(row => row.Key.Hash).Order(StringComparer.Ordinal));
        foreach (var view in views)
        {
            var row = rows.Single(row => row.Key == view.Key);
            Assert.NotNull(row.Queue);
            Assert.Equal(TransferRow.Of(view), row);
            Assert.Equal(TransferView.Row(view).ToJsonString(), TransferView.Row(row).ToJsonString());
        }
    }

    // Shared and seeding (a stream with its torrent, a folder's torrent, a stream), a magnet nobody serves, two
    // streams whose descriptor nobody has; one of each network stopped. Returns the first share's answer.
    private async Task<JsonObject> AddEveryKindAsync(TransferNode node, TransferManager manager)
    {
        var one = TransferNode.WriteRandomFile(_directory.File("one.bin"), 300_000, seed: 1);
        var both = (JsonObject)(await node.CallAsync("stream_create", new JsonObject { ["file_path"] = one, ["torrent"] = true }))!;
        var folder = Directory.CreateDirectory(_directory.File("two")).FullName;
        TransferNode.WriteRandomFile(Path.Combine(folder, "a.bin"), 200_000, seed: 2);
        TransferNode.WriteRandomFile(Path.Combine(folder, "b.bin"), 100_000, seed: 3);
        var two = (JsonObject)(await node.CallAsync("stream_create", new JsonObject { ["file_path"] = folder, ["torrent"] = true }))!;
        await node.ShareAsync(TransferNode.WriteRandomFile(_directory.File("three.bin"), 50_000, seed: 4));

        // A magnet nobody serves, two streams whose descriptor nobody has; one of each network stopped.
        await manager.AddAsync(new TransferRequest("magnet:?xt=urn:btih:" + new string('7', 40), null, [], TimeSpan.Zero), CancellationToken.None);
        await manager.AddAsync(new TransferRequest(new string('5', 96), null, [], TimeSpan.Zero), CancellationToken.None);
        var stoppedStream = (await manager.AddAsync(new TransferRequest(new string('6', 96), null, [], TimeSpan.Zero), CancellationToken.None)).Transfer.Key;
        Assert.True(TransferKey.TryParse(two["info_hash"]!.GetValue<string>(), out var stoppedTorrent));
        await manager.StopAsync(stoppedTorrent, CancellationToken.None);
        await manager.StopAsync(stoppedStream, CancellationToken.None);
        return both;
    }

    // The statuses and the views read at one moment: read again while a transfer changed in between (a share's
    // torrent still checking, say).
    private static Task<(List<TransferStatus> Items, IReadOnlyList<Transfer> Views)> ReadBothAsync(TransferManager manager) =>
        ReadSteadyAsync<TransferStatus>(manager.ReadStatuses, manager.ListUnscheduled, status => status.State);

    // The rows and the views (the queue's part included) read at one moment, as above.
    private static Task<(List<TransferRow> Items, IReadOnlyList<Transfer> Views)> ReadRowsAsync(TransferManager manager) =>
        ReadSteadyAsync<TransferRow>(manager.ReadRows, manager.List, row => row.State);

    private static async Task<(List<T> Items, IReadOnlyList<Transfer> Views)> ReadSteadyAsync<T>(
        Action<List<T>> read, Func<IReadOnlyList<Transfer>> views, Func<T, TransferState> state)
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            var before = new List<T>();
            read(before);
            var listed = views();
            var after = new List<T>();
            read(after);
            if (before.SequenceEqual(after) && !after.Exists(item => state(item) == TransferState.Checking))
            {
                return (after, listed);
            }

            await Task.Delay(50, limit.Token);
        }
    }
}
