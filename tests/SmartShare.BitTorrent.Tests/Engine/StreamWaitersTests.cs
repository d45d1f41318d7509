using SmartShare.BitTorrent.Engine;
using SmartShare.BitTorrent.Metainfo;

namespace SmartShare.BitTorrent.Tests.Engine;

/// <summary>
/// A streaming read that comes before the session has its picker (a player asking for the file right after `get`,
/// while the session still looks at its files) waits for the start instead of failing; one still waiting when the
/// session stops is cancelled.
/// </summary>
public sealed class StreamWaitersTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    private readonly Lock _lock = new();
    private readonly TorrentInfo _info = PiecePickerTests.Info(4);
    private PiecePicker? _picker;

    [Fact]
    public async Task A_read_before_the_start_waits_for_it()
    {
        var waiters = new StreamWaiters(_lock, _info.PieceLength, () => _picker);

        var reading = waiters.WaitForRangeAsync(0, 10, CancellationToken.None);
        Assert.False(reading.IsCompleted);

        lock (_lock)
        {
            var have = new Bitfield(4);
            have[0] = true;
            _picker = new PiecePicker(_info, have, new PiecePickerTests.SeededRandom(1));
        }

        Assert.False(reading.IsCompleted);
        waiters.Started();
        await reading.WaitAsync(Limit);
    }

    [Fact]
    public async Task A_read_before_the_start_is_cancelled_when_the_session_stops()
    {
        var waiters = new StreamWaiters(_lock, _info.PieceLength, () => _picker);
        var reading = waiters.WaitForRangeAsync(0, 10, CancellationToken.None);

        lock (_lock)
        {
            waiters.CancelAll();
        }

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => reading.WaitAsync(Limit));
    }
}
