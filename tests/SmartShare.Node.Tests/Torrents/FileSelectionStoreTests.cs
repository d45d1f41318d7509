using System.Text.Json.Nodes;
using SmartShare.BitTorrent;
using SmartShare.BitTorrent.Engine;
using SmartShare.Node.Torrents;

namespace SmartShare.Node.Tests.Torrents;

public sealed class FileSelectionStoreTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("smartshare-selection-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static InfoHash Hash(byte fill)
    {
        var bytes = new byte[20];
        Array.Fill(bytes, fill);
        return InfoHash.FromBytes(bytes);
    }

    [Fact]
    public void A_selection_survives_reopening_a_pending_request_is_kept_and_delete_forgets_both()
    {
        var store = FileSelectionStore.Open(_folder, TimeProvider.System);
        var selection = new FileSelection(
            [TorrentFilePriority.Off, TorrentFilePriority.High, TorrentFilePriority.Low], Sequential: true, FirstLastPiece: true);
        store.Save(Hash(1), selection);
        store.SavePending(Hash(2), new FileSelectionRequest(Only: [0, 2], Unwanted: [5], Sequential: true));

        var reopened = FileSelectionStore.Open(_folder, TimeProvider.System);
        var (loaded, pending) = reopened.Load(Hash(1), 3)!.Value;
        Assert.Equal(selection.Priorities, loaded!.Priorities);
        Assert.True(loaded.Sequential);
        Assert.True(loaded.FirstLastPiece);
        Assert.Null(pending);
        Assert.Null(reopened.Load(Hash(1), 4)!.Value.Selection); // another file count: not this torrent's row

        var (none, request) = reopened.Load(Hash(2), 0)!.Value;
        Assert.Null(none);
        var applied = request!.Apply(null, 4, strict: false);
        Assert.Equal([TorrentFilePriority.Normal, TorrentFilePriority.Off, TorrentFilePriority.Normal, TorrentFilePriority.Off], applied.Priorities);
        Assert.True(applied.Sequential);

        reopened.Delete(Hash(1));
        reopened.Delete(Hash(2));
        Assert.Null(reopened.Load(Hash(1), 3));
        Assert.Null(reopened.Load(Hash(2), 3));
    }

    [Theory]
    [InlineData("0,2-5", new[] { 0, 2, 3, 4, 5 })]
    [InlineData(" 3 , 1,1 ", new[] { 1, 3 })]
    [InlineData("", new int[0])]
    public void Index_lists_are_read_as_written(string text, int[] expected) =>
        Assert.Equal(expected, FileSelectionRequest.Parse(text, "files"));

    [Theory]
    [InlineData("-1", "is not one")]
    [InlineData("5-2", "runs backwards")]
    [InlineData("0-99999999", "is not one")]
    [InlineData("a", "is not one")]
    [InlineData("1-", "is not one")]
    public void Bad_index_lists_are_refused_with_a_sentence(string text, string says)
    {
        var error = Assert.Throws<FormatException>(() => FileSelectionRequest.Parse(text, "files"));
        Assert.Contains(says, error.Message, StringComparison.Ordinal);
        Assert.Contains("'files'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Json_arrays_are_checked_and_indexes_past_the_last_file_are_named()
    {
        Assert.Equal([1, 4], FileSelectionRequest.Read(new JsonArray(4, 1, 4), "wanted"));
        Assert.Throws<FormatException>(() => FileSelectionRequest.Read(new JsonArray("x"), "wanted"));
        Assert.Throws<FormatException>(() => FileSelectionRequest.Read(new JsonArray(1.5), "wanted"));
        Assert.Throws<FormatException>(() => FileSelectionRequest.Read(JsonValue.Create(true), "wanted"));
        Assert.Equal("0,2-4,9", FileSelectionRequest.Format([9, 2, 3, 4, 0]));

        var error = Assert.Throws<ArgumentException>(() => new FileSelectionRequest(Wanted: [7]).Apply(null, 3));
        Assert.Contains("3 files", error.Message, StringComparison.Ordinal);

        // A priority makes a file wanted; wanted keeps an existing priority.
        var current = new FileSelection([TorrentFilePriority.Off, TorrentFilePriority.Low, TorrentFilePriority.Off]);
        var next = new FileSelectionRequest(Wanted: [1], High: [2]).Apply(current, 3);
        Assert.Equal([TorrentFilePriority.Off, TorrentFilePriority.Low, TorrentFilePriority.High], next.Priorities);
    }
}
