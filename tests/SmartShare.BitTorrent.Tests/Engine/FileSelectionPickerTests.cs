using SmartShare.BitTorrent.Engine;
using SmartShare.BitTorrent.Metainfo;
using static SmartShare.BitTorrent.Tests.Engine.PiecePickerTests;

namespace SmartShare.BitTorrent.Tests.Engine;

public sealed class FileSelectionPickerTests
{
    private const int PieceLength = 2 * BlockRequest.BlockSize;

    // Pieces of 32 KiB: a = pieces 0-2 (ends inside 2), b = 2-5, c = 5-9 (10 pieces in all).
    private static TorrentInfo ThreeFiles()
    {
        var lengths = new long[] { (2 * PieceLength) + 1000, (3 * PieceLength) + 500, (4 * PieceLength) + 100 };
        var files = new List<TorrentFile>();
        long offset = 0;
        for (var i = 0; i < lengths.Length; i++)
        {
            files.Add(new TorrentFile([$"f{i}"], lengths[i], offset));
            offset += lengths[i];
        }

        var pieces = (int)((offset + PieceLength - 1) / PieceLength);
        return new TorrentInfo("t", PieceLength, new byte[pieces * 20], files, offset, IsPrivate: false, IsSingleFile: false);
    }

    private static FileSelection Select(params TorrentFilePriority[] priorities) => new(priorities);

    private static List<int> StartedPieces(PiecePicker picker, Bitfield peerHas, int blocks)
    {
        var into = new List<BlockRequest>();
        picker.Pick(peerHas, blocks, new HashSet<long>(), into);
        return [.. into.Select(b => b.Index).Distinct()];
    }

    [Fact]
    public void A_piece_takes_the_highest_priority_of_the_files_it_overlaps_and_off_only_when_all_are_off()
    {
        var info = ThreeFiles();
        var priorities = PiecePriorities.Compute(info, Select(TorrentFilePriority.Off, TorrentFilePriority.Low, TorrentFilePriority.High));
        Assert.Equal(10, priorities.Length);
        Assert.Equal([0, 0, 1, 1, 1, 3, 3, 3, 3, 3], priorities.Select(p => (int)p));

        var onlyA = PiecePriorities.Compute(info, Select(TorrentFilePriority.Normal, TorrentFilePriority.Off, TorrentFilePriority.Off));
        Assert.Equal([2, 2, 2, 0, 0, 0, 0, 0, 0, 0], onlyA.Select(p => (int)p));
    }

    [Fact]
    public void First_and_last_piece_of_each_wanted_file_go_to_the_preview_band()
    {
        var info = ThreeFiles();
        var selection = Select(TorrentFilePriority.Off, TorrentFilePriority.Normal, TorrentFilePriority.Low) with { FirstLastPiece = true };
        var priorities = PiecePriorities.Compute(info, selection);
        Assert.Equal([0, 0, 4, 2, 2, 4, 1, 1, 1, 4], priorities.Select(p => (int)p));
    }

    [Fact]
    public void The_picker_never_starts_a_piece_of_unwanted_files_and_is_done_when_the_wanted_ones_are_verified()
    {
        var info = ThreeFiles();
        for (var seed = 0; seed < 20; seed++)
        {
            var picker = new PiecePicker(info, new Bitfield(10), new SeededRandom(seed));
            picker.SetPriorities(PiecePriorities.Compute(info, Select(TorrentFilePriority.Normal, TorrentFilePriority.Off, TorrentFilePriority.Off)));
            var all = All(10);
            var started = StartedPieces(picker, all, 1000);
            Assert.Equal([0, 1, 2], started.Order());
            Assert.True(picker.Wants(all));
            Assert.False(picker.Wants(Only(10, 3, 4, 5, 9)));

            foreach (var piece in started)
            {
                picker.Drop(piece);
                picker.PieceVerified(piece);
            }

            Assert.True(picker.IsDone);
            Assert.False(picker.Have.IsComplete);
            Assert.False(picker.Wants(all));
            Assert.Empty(StartedPieces(picker, all, 1000));

            // Wanting more makes it want again, only the new pieces.
            picker.SetPriorities(PiecePriorities.Compute(info, Select(TorrentFilePriority.Normal, TorrentFilePriority.Normal, TorrentFilePriority.Off)));
            Assert.False(picker.IsDone);
            Assert.Equal(3, picker.WantedMissing);
            Assert.Equal([3, 4, 5], StartedPieces(picker, all, 1000).Order());
        }
    }

    [Fact]
    public void Higher_bands_start_first_and_rarest_first_holds_inside_a_band()
    {
        var info = ThreeFiles();
        for (var seed = 0; seed < 30; seed++)
        {
            var picker = new PiecePicker(info, new Bitfield(10), new SeededRandom(seed));
            picker.SetPriorities(PiecePriorities.Compute(info, Select(TorrentFilePriority.Low, TorrentFilePriority.Normal, TorrentFilePriority.High)));
            for (var peer = 0; peer < 3; peer++)
            {
                picker.AddPeer(All(10));
            }

            // Piece 7 (high band) is rarer than the rest; piece 0 (low band) is the rarest of all but comes last.
            picker.RemovePeer(Only(10, 7));
            picker.RemovePeer(Only(10, 0));
            picker.RemovePeer(Only(10, 0));
            // One pick with room for everything: pieces are started in the order the picker prefers them.
            var order = StartedPieces(picker, All(10), 1000);
            Assert.Equal(10, order.Count);

            Assert.Equal(7, order[0]);
            Assert.Equal([5, 6, 7, 8, 9], order.Take(5).Order());
            Assert.Equal([2, 3, 4], order.Skip(5).Take(3).Order()); // piece 2 is normal: it overlaps b
            Assert.Equal([0, 1], order.Skip(8).Order());
            Assert.Equal(0, order[8]);
        }
    }

    [Fact]
    public void Sequential_goes_in_index_order_inside_each_band_and_previews_come_first()
    {
        var info = ThreeFiles();
        var picker = new PiecePicker(info, new Bitfield(10), new SeededRandom(5)) { Sequential = true };
        var selection = Select(TorrentFilePriority.Normal, TorrentFilePriority.Off, TorrentFilePriority.High) with { FirstLastPiece = true };
        picker.SetPriorities(PiecePriorities.Compute(info, selection));
        var order = StartedPieces(picker, All(10), 1000);

        // Previews (first/last of a and c: 0, 2, 5, 9), then c's high pieces, then a's normal one; b's 3 and 4 never.
        Assert.Equal([0, 2, 5, 9, 6, 7, 8, 1], order);
    }
}
