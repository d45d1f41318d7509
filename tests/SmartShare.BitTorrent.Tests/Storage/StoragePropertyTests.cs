using FsCheck;
using FsCheck.Fluent;
using SmartShare.BitTorrent.Storage;
using static SmartShare.BitTorrent.Tests.Storage.TestTorrents;

namespace SmartShare.BitTorrent.Tests.Storage;

public sealed class StoragePropertyTests : IDisposable
{
    private const int PieceLength = 16 * 1024;

    private readonly string _folder = Directory.CreateTempSubdirectory("smartshare-storage-prop-").FullName;
    private int _case;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Any_file_layout_written_in_any_order_reads_back_as_the_source()
    {
        var layouts =
            from count in Gen.Choose(1, 6)
            from lengths in Gen.ArrayOf(Gen.Choose(0, 100 * 1024), count)
            from seed in Gen.Choose(0, 1_000_000)
            where lengths.Sum() > 0
            select (lengths, seed);

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(40), Prop.ForAll(layouts.ToArbitrary(), layout => RoundTrips(layout.lengths, layout.seed)));
    }

    private bool RoundTrips(int[] lengths, int seed)
    {
        var files = lengths.Select((length, i) => ($"d{i % 2}/f{i}", length)).ToArray();
        var (info, content) = MultiFile("t", PieceLength, seed, files);
        var root = Path.Combine(_folder, (_case++).ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var storage = new TorrentStorage(info, root, maxOpenFiles: 1 + (seed % 3));
        WriteAllAsync(new Stored(storage, content), Shuffled(info.PieceCount, seed)).GetAwaiter().GetResult();
        storage.EnsureFilesAsync(CancellationToken.None).GetAwaiter().GetResult();

        var back = new byte[content.Length];
        storage.ReadAsync(0, back, CancellationToken.None).AsTask().GetAwaiter().GetResult();
        var sameFiles = info.Files.Select((file, i) => File.ReadAllBytes(storage.FilePaths[i]).AsSpan().SequenceEqual(content.AsSpan((int)file.Offset, (int)file.Length))).All(same => same);
        var allVerified = storage.RecheckAsync(null, null, CancellationToken.None).GetAwaiter().GetResult().IsComplete;
        return back.AsSpan().SequenceEqual(content) && sameFiles && allVerified;
    }
}
