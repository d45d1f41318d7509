using SmartShare.Node.Remote;
using SmartShare.Node.Transfers;
using SmartShare.Testing;

namespace SmartShare.Node.Tests.Remote;

/// <summary>Transmission's numeric ids on a manual clock: first-sight order, never reused, and the minute a removal and a change are remembered.</summary>
public sealed class TransmissionIdsTests
{
    private readonly ManualTimeProvider _time = new(new DateTimeOffset(2026, 12, 5, 4, 0, 0, TimeSpan.Zero));

    [Fact]
    public void Ids_follow_first_sight_and_a_transfer_removed_and_added_again_gets_a_new_one()
    {
        var ids = new TransmissionIds(_time);
        var a = Transfer('a', TransferState.Downloading);
        var b = Transfer('b', TransferState.Seeding);

        Assert.Equal([(1, a), (2, b)], ids.Sync([a, b]));
        var c = Transfer('c', TransferState.Stopped);
        Assert.Equal([(1, a), (2, b), (3, c)], ids.Sync([a, b, c]));

        Assert.Equal([(1, a), (3, c)], ids.Sync([a, c]));
        Assert.Equal([(1, a), (3, c), (4, b)], ids.Sync([a, c, b]));
    }

    [Fact]
    public void Removed_ids_and_recent_activity_last_one_minute()
    {
        var ids = new TransmissionIds(_time);
        var a = Transfer('a', TransferState.Downloading);
        var b = Transfer('b', TransferState.Seeding);
        ids.Sync([a, b]);

        ids.Removed(b.Key);
        Assert.Equal([2], ids.RecentlyRemoved());
        Assert.True(ids.IsRecentlyActive(a));

        _time.Advance(TransmissionIds.RecentWindow + TimeSpan.FromSeconds(1));
        Assert.Empty(ids.RecentlyRemoved());
        Assert.False(ids.IsRecentlyActive(a));

        // A change of state (or of bytes held) is activity again; so is data flowing.
        var stopped = a with { State = TransferState.Stopped };
        ids.Sync([stopped]);
        Assert.True(ids.IsRecentlyActive(stopped));
        _time.Advance(TimeSpan.FromMinutes(2));
        Assert.False(ids.IsRecentlyActive(stopped));
        Assert.True(ids.IsRecentlyActive(stopped with { Progress = stopped.Progress with { UploadRate = 5000 } }));
    }

    [Fact]
    public void States_map_to_transmissions_status_codes()
    {
        Assert.Equal(3, TorrentFields.Status(TransferState.Queued));
        Assert.Equal(2, TorrentFields.Status(TransferState.Checking));
        Assert.Equal(4, TorrentFields.Status(TransferState.FetchingMetadata));
        Assert.Equal(4, TorrentFields.Status(TransferState.Downloading));
        Assert.Equal(6, TorrentFields.Status(TransferState.Seeding));
        Assert.Equal(0, TorrentFields.Status(TransferState.Completed));
        Assert.Equal(0, TorrentFields.Status(TransferState.Stopped));
        Assert.Equal(0, TorrentFields.Status(TransferState.Failed));
    }

    private Transfer Transfer(char digit, TransferState state) =>
        new(
            new TransferKey(TransferNetwork.Torrent, new string(digit, 40)),
            digit.ToString(),
            TransferDirection.Download,
            state,
            new TransferProgress(0, 100, 0, 0, 0, 0, 0, 0),
            [],
            "/tmp",
            null,
            null,
            false,
            _time.GetUtcNow(),
            null);
}
