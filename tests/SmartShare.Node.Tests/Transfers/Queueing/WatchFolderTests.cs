using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using SmartShare.Node.Settings;
using SmartShare.Node.Transfers;

namespace SmartShare.Node.Tests.Transfers.Queueing;

/// <summary>The watch folder's rules on a fake clock, over a network in memory that reads a number from each file.</summary>
public sealed class WatchFolderTests : IDisposable
{
    private readonly NodeTestDirectory _directory = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 5, 8, 0, 0, TimeSpan.Zero));
    private readonly FakeTransferNetwork _network;
    private readonly WatchFolder _watch;
    private readonly string _folder;

    public WatchFolderTests()
    {
        _network = new FakeTransferNetwork(_time);
        _folder = _directory.File("watch");
        var settings = new NodeSettings { WatchDirectory = _folder, MaxActiveDownloads = 0 };
        _watch = new WatchFolder(new TransferManager([_network]), () => settings, _time, NullLogger<WatchFolder>.Instance);
    }

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task A_file_is_taken_once_it_settled_and_moved_into_added_without_clobbering()
    {
        Directory.CreateDirectory(Path.Combine(_folder, WatchFolder.AddedFolder));
        await File.WriteAllTextAsync(Path.Combine(_folder, WatchFolder.AddedFolder, "one.torrent"), "an earlier one");
        await File.WriteAllTextAsync(Path.Combine(_folder, "one.torrent"), "1");
        await File.WriteAllTextAsync(Path.Combine(_folder, "two.smartshare"), "2");
        await File.WriteAllTextAsync(Path.Combine(_folder, "notes.txt"), "3");

        await _watch.ScanAsync(CancellationToken.None);
        Assert.Empty(_network.Calls);
        _time.Advance(WatchFolder.Settle);
        await _watch.ScanAsync(CancellationToken.None);

        Assert.Equal(["add 1", "add 2"], _network.Calls);
        Assert.Equal(2, _network.List().Count);
        Assert.Equal("1", await File.ReadAllTextAsync(Path.Combine(_folder, WatchFolder.AddedFolder, "one (1).torrent")));
        Assert.Equal("an earlier one", await File.ReadAllTextAsync(Path.Combine(_folder, WatchFolder.AddedFolder, "one.torrent")));
        Assert.True(File.Exists(Path.Combine(_folder, WatchFolder.AddedFolder, "two.smartshare")));
        Assert.Equal(["notes.txt"], Directory.EnumerateFiles(_folder).Select(Path.GetFileName));
    }

    [Fact]
    public async Task A_file_still_being_written_is_not_taken_until_it_stops_changing()
    {
        Directory.CreateDirectory(_folder);
        var path = Path.Combine(_folder, "big.torrent");
        await using (var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.ReadWrite))
        {
            await stream.WriteAsync("1"u8.ToArray());
            await stream.FlushAsync();
            await _watch.ScanAsync(CancellationToken.None);
            _time.Advance(WatchFolder.Settle);

            // It grew since the last look: not taken, however long ago that look was.
            await stream.WriteAsync("2"u8.ToArray());
            await stream.FlushAsync();
            await _watch.ScanAsync(CancellationToken.None);
            _time.Advance(WatchFolder.Settle);
            await stream.WriteAsync("3"u8.ToArray());
            await stream.FlushAsync();
            await _watch.ScanAsync(CancellationToken.None);
            Assert.Empty(_network.Calls);
        }

        // Unchanged over two looks a second apart: taken whole.
        _time.Advance(TimeSpan.FromMilliseconds(500));
        await _watch.ScanAsync(CancellationToken.None);
        Assert.Empty(_network.Calls);
        _time.Advance(WatchFolder.Settle);
        await _watch.ScanAsync(CancellationToken.None);
        Assert.Equal(["add 123"], _network.Calls);
    }

    [Fact]
    public async Task A_file_that_cannot_be_added_goes_to_failed_with_its_error_and_a_missing_folder_is_survived()
    {
        await _watch.ScanAsync(CancellationToken.None);
        Assert.False(Directory.Exists(_folder));

        Directory.CreateDirectory(_folder);
        await File.WriteAllTextAsync(Path.Combine(_folder, "junk.torrent"), "garbage");
        await _watch.ScanAsync(CancellationToken.None);
        _time.Advance(WatchFolder.Settle);
        await _watch.ScanAsync(CancellationToken.None);

        var failed = Path.Combine(_folder, WatchFolder.FailedFolder, "junk.torrent");
        Assert.Equal("garbage", await File.ReadAllTextAsync(failed));
        Assert.Equal("'garbage' is not a torrent.", (await File.ReadAllTextAsync(failed + ".error.txt")).Trim());
        Assert.Empty(Directory.EnumerateFiles(_folder));
        Assert.Empty(_network.List());
    }
}
