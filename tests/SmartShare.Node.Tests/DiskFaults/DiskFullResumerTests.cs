using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using SmartShare.Node.Downloads;
using SmartShare.Node.Tests.Transfers.Queueing;
using SmartShare.Node.Transfers;
using SmartShare.Storage;

namespace SmartShare.Node.Tests.DiskFaults;

/// <summary><see cref="DiskFullResumer"/> on a fake clock: when it looks, how it backs off, what it leaves alone.</summary>
public sealed class DiskFullResumerTests : IAsyncDisposable
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 5, 12, 0, 0, TimeSpan.Zero));
    private readonly FakeTransferNetwork _network;
    private readonly List<(TransferKey Key, FileStatus Status, string? Error)> _rows = [];
    private readonly DiskFullResumer _resumer;
    private long _free;

    public DiskFullResumerTests()
    {
        _network = new FakeTransferNetwork(_time);
        _resumer = new DiskFullResumer(new TransferManager([_network]), () => _rows, _ => _free, _time, NullLogger.Instance);
    }

    public async ValueTask DisposeAsync() => await _resumer.DisposeAsync();

    [Fact]
    public async Task A_paused_transfer_is_looked_at_3_6_and_12_seconds_in_and_started_at_the_first_look_that_finds_room()
    {
        var key = _network.Add(1, TransferState.Stopped, size: 100L * 1024 * 1024);
        _rows.Add((key, FileStatus.Stopped, DiskErrors.PausedSentence("/mnt/small")));
        await _resumer.StartAsync(CancellationToken.None);

        // Looks at 3 s and 6 s find the disk full; the next is due at 12 s (then 24, 48, and every 60 s).
        Advance(3);
        Advance(3);
        Assert.Empty(_network.Calls);
        _free = DiskFullResumer.EnoughRoom;
        Advance(3);
        Assert.Empty(_network.Calls);
        Advance(3);
        Assert.Equal(["start t1"], _network.Calls);
    }

    [Fact]
    public async Task Room_for_what_the_transfer_lacks_is_enough_and_other_stops_are_left_alone()
    {
        var small = _network.Add(1, TransferState.Stopped, size: 1000);
        var byUser = _network.Add(2, TransferState.Stopped);
        var failed = _network.Add(3, TransferState.Failed);
        _rows.Add((small, FileStatus.Stopped, DiskErrors.PausedSentence("/mnt/small")));
        _rows.Add((byUser, FileStatus.Stopped, null));
        _rows.Add((failed, FileStatus.Failed, "Cannot write /mnt/x: Input/output error"));
        _free = 1000;
        await _resumer.StartAsync(CancellationToken.None);

        Advance(3);
        Assert.Equal(["start t1"], _network.Calls);
        for (var i = 0; i < 40; i++)
        {
            Advance(3);
        }

        Assert.Equal(["start t1"], _network.Calls);
    }

    private void Advance(int seconds) => _time.Advance(TimeSpan.FromSeconds(seconds));
}
