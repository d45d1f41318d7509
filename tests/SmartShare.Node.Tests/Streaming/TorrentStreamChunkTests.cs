using SmartShare.Node.Streaming;

namespace SmartShare.Node.Tests.Streaming;

/// <summary>
/// How much a torrent's <c>/stream</c> sends at a time while the torrent downloads: each piece as soon as it is
/// verified, with the verified pieces after it, at most 1 MiB a write; never a piece held back for those after it
/// (which made a player wait for a whole MiB of small pieces before its first byte).
/// </summary>
public sealed class TorrentStreamChunkTests
{
    private const long Piece = 16 * 1024;
    private const long MiB = 1024 * 1024;

    [Fact]
    public void The_first_piece_is_sent_alone_when_the_next_is_not_verified_yet()
    {
        var verified = Verified(0);

        Assert.Equal(Piece, TorrentStreamSource.NextChunk(0, 16 * MiB, Piece, verified));
    }

    [Fact]
    public void Verified_pieces_after_it_go_in_the_same_write_up_to_a_mebibyte()
    {
        Assert.Equal(3 * Piece, TorrentStreamSource.NextChunk(0, 16 * MiB, Piece, Verified(0, 1, 2)));
        Assert.Equal(MiB, TorrentStreamSource.NextChunk(0, 16 * MiB, Piece, (_, _) => true));
    }

    [Fact]
    public void A_start_inside_a_piece_sends_the_rest_of_that_piece_and_stops_at_the_range_end()
    {
        Assert.Equal(Piece - 100, TorrentStreamSource.NextChunk(100, 16 * MiB, Piece, Verified(0)));
        Assert.Equal(500, TorrentStreamSource.NextChunk(Piece + 100, Piece + 600, Piece, (_, _) => true));
    }

    [Fact]
    public void A_piece_longer_than_a_mebibyte_is_sent_a_mebibyte_at_a_time()
    {
        Assert.Equal(MiB, TorrentStreamSource.NextChunk(0, 64 * MiB, 4 * MiB, (_, _) => false));
        Assert.Equal(MiB - 10, TorrentStreamSource.NextChunk((3 * MiB) + 10, 64 * MiB, 4 * MiB, (_, _) => false));
    }

    // Verified(pieces): whether the bytes [offset, offset + length) lie in the given pieces only.
    private static Func<long, long, bool> Verified(params int[] pieces) =>
        (offset, length) => Enumerable.Range((int)(offset / Piece), (int)(((offset + length - 1) / Piece) - (offset / Piece) + 1)).All(pieces.Contains);
}
