using SmartShare.Lbry.Blobs;
using SmartShare.Lbry.Downloads;
using SmartShare.Node.Downloads;
using SmartShare.Storage;

namespace SmartShare.Node.Tests.Downloads;

/// <summary>
/// The error a file's view shows while a download that just ended waits for the manager to record how it ended: the
/// record's (a full disk's pause sentence, which `get` follows), never the download's raw reason, which `get` read as
/// the end once (DiskFullCommandTests in a full run).
/// </summary>
public sealed class FileViewErrorTests
{
    private static readonly BlobHash SdHash = BlobHash.Compute([1, 2, 3]);
    private static readonly string Paused = DiskErrors.PausedSentence("/media/small");
    private const string Raw = "The disk holding /media/small is full. Free some space and try again; nothing incomplete was kept.";

    [Theory]
    [InlineData(StreamDownloadState.Failed)]
    [InlineData(StreamDownloadState.Stopped)]
    public void A_download_that_just_ended_shows_the_records_error_until_the_manager_records_its_end(StreamDownloadState state)
    {
        var record = Record(FileStatus.Stopped, Paused);

        Assert.Equal(Paused, FileView.ErrorOf(Progress(state, Raw), record));
        Assert.Null(FileView.ErrorOf(Progress(state, Raw), record with { Error = null }));
    }

    [Fact]
    public void A_running_download_shows_its_own_error_and_none_shows_the_records()
    {
        var record = Record(FileStatus.Downloading, "an older error");

        Assert.Equal("now", FileView.ErrorOf(Progress(StreamDownloadState.Downloading, "now"), record));
        Assert.Equal("an older error", FileView.ErrorOf(Progress(StreamDownloadState.Downloading, null), record));
        Assert.Equal("an older error", FileView.ErrorOf(null, record));
    }

    private static FileRecord Record(FileStatus status, string? error) =>
        new(SdHash, FileKind.Download, status, "/media/small", null, null, error, [], DateTimeOffset.UnixEpoch, null);

    private static StreamDownloadProgress Progress(StreamDownloadState state, string? error) =>
        new(state, 3, 1, 6, 2, 2, 1, 1, 0, error);
}
