using FsCheck;
using FsCheck.Fluent;
using SmartShare.BitTorrent.Engine;
using SmartShare.BitTorrent.Metainfo;

namespace SmartShare.BitTorrent.Tests.Engine;

public sealed class PiecePickerTests
{
    private const int Block = BlockRequest.BlockSize;

    /// <summary>A deterministic <see cref="IRandomSource"/>: the same seed gives the same bytes.</summary>
    internal sealed class SeededRandom(int seed) : IRandomSource
    {
        private readonly Random _random = new(seed);

        public void Fill(Span<byte> destination) => _random.NextBytes(destination);
    }

    /// <summary>A torrent of <paramref name="pieces"/> pieces of <paramref name="pieceLength"/> bytes, the last one <paramref name="lastShortBy"/> shorter.</summary>
    internal static TorrentInfo Info(int pieces, int pieceLength = 2 * Block, int lastShortBy = 0) =>
        new("t", pieceLength, new byte[pieces * 20], [], ((long)pieces * pieceLength) - lastShortBy, IsPrivate: false, IsSingleFile: true);

    internal static Bitfield All(int length)
    {
        var bits = new Bitfield(length);
        bits.SetAll();
        return bits;
    }

    internal static Bitfield Only(int length, params int[] pieces)
    {
        var bits = new Bitfield(length);
        foreach (var piece in pieces)
        {
            bits[piece] = true;
        }

        return bits;
    }

    private static PiecePicker Picker(TorrentInfo info, int seed = 1) => new(info, new Bitfield(info.PieceCount), new SeededRandom(seed));

    private static List<BlockRequest> Pick(PiecePicker picker, Bitfield peerHas, int max, HashSet<long>? asked = null)
    {
        var into = new List<BlockRequest>();
        asked ??= [];
        var count = picker.Pick(peerHas, max, asked, into);
        Assert.Equal(into.Count, count);
        foreach (var request in into)
        {
            Assert.True(asked.Add(request.Key), $"block {request} was handed twice to one peer");
        }

        return into;
    }

    private static bool Receive(PiecePicker picker, BlockRequest block, object sender)
    {
        var partial = picker.BeginBlock(block.Index, block.Begin, block.Length);
        Assert.NotNull(partial);
        return picker.BlockWritten(partial, block.Begin, sender);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Rarest_piece_is_picked_first_whatever_the_random_start(int rarest)
    {
        var info = Info(16);
        for (var seed = 0; seed < 30; seed++)
        {
            var picker = Picker(info, seed);
            for (var peer = 0; peer < 3; peer++)
            {
                picker.AddPeer(All(16));
            }

            // Piece 11 is the rarest: every other piece has three peers.
            picker.RemovePeer(Only(16, 11));
            if (rarest == 1)
            {
                picker.RemovePeer(Only(16, 11));
            }

            Assert.Equal(rarest, picker.Availability(11));
            Assert.Equal(3, picker.Availability(10));
            var first = Pick(picker, All(16), 1);
            Assert.Equal(11, Assert.Single(first).Index);
        }
    }

    [Fact]
    public void Availability_follows_bitfields_haves_and_departures()
    {
        var picker = Picker(Info(10));
        picker.AddPeer(Only(10, 1, 2));
        picker.AddPeer(Only(10, 2));
        picker.AddPeerPiece(3);
        Assert.Equal([0, 1, 2, 1, 0, 0, 0, 0, 0, 0], Enumerable.Range(0, 10).Select(picker.Availability));
        picker.RemovePeer(Only(10, 2, 3));
        picker.RemovePeer(Only(10, 3));
        Assert.Equal([0, 1, 1, 0, 0, 0, 0, 0, 0, 0], Enumerable.Range(0, 10).Select(picker.Availability));
    }

    [Fact]
    public void A_random_start_spreads_first_picks_over_the_pieces()
    {
        var info = Info(64);
        var firsts = new HashSet<int>();
        for (var seed = 0; seed < 20; seed++)
        {
            var picker = Picker(info, seed);
            picker.AddPeer(All(64));
            firsts.Add(Assert.Single(Pick(picker, All(64), 1)).Index);
        }

        // 20 seeds over 64 equally rare pieces: all the same (or nearly) would mean no random start.
        Assert.True(firsts.Count >= 8, $"only {firsts.Count} different first pieces over 20 seeds");
    }

    [Fact]
    public void Started_pieces_are_finished_before_new_ones_even_rarer_ones()
    {
        var info = Info(8, pieceLength: 4 * Block);
        var picker = Picker(info);
        picker.AddPeer(All(8));
        picker.AddPeer(All(8));
        var first = Pick(picker, All(8), 1);
        var started = Assert.Single(first).Index;

        // Now another piece is much rarer; the started one still comes first.
        var rare = (started + 3) % 8;
        picker.RemovePeer(Only(8, rare));
        picker.RemovePeer(Only(8, rare));
        var next = Pick(picker, All(8), 3, []);
        Assert.All(next, b => Assert.Equal(started, b.Index));
        Assert.Equal([Block, 2 * Block, 3 * Block], next.Select(b => b.Begin).Order());
        Assert.Equal(1, picker.PartialCount);

        // With the started piece fully asked, the rarest one is next.
        Assert.Equal(rare, Assert.Single(Pick(picker, All(8), 1, [])).Index);
    }

    [Fact]
    public void Windows_go_first_in_index_order_even_before_started_pieces()
    {
        var info = Info(20);
        var picker = Picker(info, seed: 5);
        picker.AddPeer(All(20));
        var started = Assert.Single(Pick(picker, All(20), 1)).Index;
        Assume(started is < 10 or > 12);

        picker.AddWindow(10, 12);
        var picked = Pick(picker, All(20), 7);
        Assert.Equal([10, 10, 11, 11, 12, 12], picked.Take(6).Select(b => b.Index));
        Assert.Equal(started, picked[6].Index);

        // A window piece the peer lacks is skipped, not waited for.
        var other = Picker(info, seed: 5);
        other.AddWindow(3, 5);
        Assert.Equal([3, 3, 5, 5], Pick(other, Only(20, 3, 5, 9), 4).Select(b => b.Index));
    }

    [Fact]
    public void Sequential_mode_takes_pieces_in_index_order()
    {
        var info = Info(10);
        var picker = new PiecePicker(info, new Bitfield(10), new SeededRandom(7)) { Sequential = true };
        picker.AddPeer(All(10));
        picker.RemovePeer(Only(10, 9)); // rarity is ignored in sequential mode
        picker.PieceVerified(1);
        var picked = Pick(picker, Only(10, 0, 1, 2, 4, 5, 6, 7, 8, 9), 8);
        Assert.Equal([0, 0, 2, 2, 4, 4, 5, 5], picked.Select(b => b.Index));
        Assert.Equal([0, Block, 0, Block, 0, Block, 0, Block], picked.Select(b => b.Begin));
    }

    [Fact]
    public void Partial_pieces_stay_within_MaxPartialBytes()
    {
        var info = Info(10, pieceLength: 4 * Block);
        var picker = Picker(info);
        picker.MaxPartialBytes = 2L * info.PieceLength;
        picker.AddPeer(All(10));
        var picked = Pick(picker, All(10), 100);
        Assert.Equal(8, picked.Count);
        Assert.Equal(2, picker.PartialCount);
        Assert.Equal(2, picked.Select(b => b.Index).Distinct().Count());

        // Finishing one piece makes room for exactly one more.
        var piece = picked[0].Index;
        foreach (var block in picked.Where(b => b.Index == piece))
        {
            Receive(picker, block, "peer");
        }

        picker.PieceVerified(piece);
        var more = Pick(picker, All(10), 100, []);
        Assert.Equal(4, more.Count);
        Assert.Single(more.Select(b => b.Index).Distinct());
    }

    [Fact]
    public void Endgame_starts_only_when_every_open_block_is_requested_and_duplicates_are_bounded()
    {
        var info = Info(2);
        var picker = Picker(info);
        var a = new HashSet<long>();
        var b = new HashSet<long>();
        var c = new HashSet<long>();
        var d = new HashSet<long>();
        var e = new HashSet<long>();
        var fromA = Pick(picker, All(2), 3, a);
        Assert.Equal(3, fromA.Count);
        Assert.False(picker.InEndgame);

        // A peer lacking the piece with the last open block: no duplicates yet, that block is still open.
        var lastOpenPiece = Enumerable.Range(0, 2).Single(p => fromA.Count(x => x.Index == p) == 1);
        var onlyFull = Only(2, 1 - lastOpenPiece);
        Assert.Empty(Pick(picker, onlyFull, 5, c));
        Assert.False(picker.InEndgame);

        // B takes the last open block, then duplicates of A's three.
        var fromB = Pick(picker, All(2), 10, b);
        Assert.True(picker.InEndgame);
        Assert.Equal(4, fromB.Count);
        Assert.Equal(fromA.Select(x => x.Key).Order(), fromB.Where(x => a.Contains(x.Key)).Select(x => x.Key).Order());

        // Now every block has two requesters but B's own first block: C may take only that one.
        var fromC = Pick(picker, onlyFull, 10, c);
        var bOnly = fromB.Single(x => !a.Contains(x.Key));
        Assert.Equal(bOnly.Index == 1 - lastOpenPiece ? [bOnly] : [], fromC);
        var fromD = Pick(picker, All(2), 10, d);
        Assert.Equal(fromC.Count == 0 ? [bOnly] : [], fromD);
        Assert.Empty(Pick(picker, All(2), 10, e));
    }

    [Fact]
    public void Endgame_never_asks_a_peer_again_for_a_block_it_already_asked()
    {
        var info = Info(1, pieceLength: 4 * Block);
        var picker = Picker(info);
        picker.MaxRequestsPerBlock = 5;
        var a = new HashSet<long>();
        Assert.Equal(4, Pick(picker, All(1), 10, a).Count);
        Assert.True(picker.InEndgame);
        Assert.Empty(Pick(picker, All(1), 10, a));
        var b = new HashSet<long>();
        Assert.Equal(4, Pick(picker, All(1), 10, b).Count);
        Assert.Empty(Pick(picker, All(1), 10, b));

        // A peer that asked for two of them gets only the other two.
        var c = new HashSet<long> { new BlockRequest(0, 0, Block).Key, new BlockRequest(0, 2 * Block, Block).Key };
        var fromC = new List<BlockRequest>();
        picker.Pick(All(1), 10, c, fromC);
        Assert.Equal([Block, 3 * Block], fromC.Select(x => x.Begin).Order());
    }

    [Fact]
    public void Unrequest_reopens_a_block_once_nobody_still_asks_for_it()
    {
        var info = Info(1);
        var picker = Picker(info);
        var fromA = Pick(picker, All(1), 1);
        var block = Assert.Single(fromA);
        picker.Unrequest(block);
        Assert.Equal(block, Pick(picker, All(1), 1, []).Single());

        // Two requesters (endgame): giving one back leaves it requested; the second reopens it.
        var partialB = Pick(picker, All(1), 5, []);
        Assert.True(picker.InEndgame);
        Assert.Contains(block, partialB);
        picker.Unrequest(block);
        picker.Unrequest(block);
        picker.Unrequest(partialB.Single(x => x != block));
        var again = Pick(picker, All(1), 5, []);
        Assert.Equal(2, again.Count);
        Assert.False(picker.InEndgame && again.Count == 0);
    }

    [Fact]
    public void BeginBlock_accepts_only_whole_blocks_of_started_pieces_once()
    {
        var info = Info(3, pieceLength: 2 * Block, lastShortBy: Block + 100);
        var picker = Picker(info);
        var all = Pick(picker, All(3), 10);
        Assert.Equal(5, all.Count);
        var last = all.Single(b => b.Index == 2);
        Assert.Equal(Block - 100, last.Length);

        Assert.Null(picker.BeginBlock(7, 0, Block)); // no such piece started
        Assert.Null(picker.BeginBlock(0, 100, Block)); // not on a block boundary
        Assert.Null(picker.BeginBlock(0, 0, Block - 1)); // wrong size
        Assert.Null(picker.BeginBlock(0, 0, 2 * Block)); // wrong size
        Assert.Null(picker.BeginBlock(0, 2 * Block, Block)); // past the piece
        Assert.Null(picker.BeginBlock(2, 0, Block)); // the short last block is short
        Assert.NotNull(picker.BeginBlock(2, 0, Block - 100));

        var writing = picker.BeginBlock(0, 0, Block);
        Assert.NotNull(writing);
        Assert.Null(picker.BeginBlock(0, 0, Block)); // another copy while the first is being written
        Assert.False(picker.BlockWritten(writing, 0, "a"));
        Assert.Null(picker.BeginBlock(0, 0, Block)); // already received
        Assert.Equal(BlockState.Received, writing.State(0));
    }

    [Fact]
    public void A_piece_being_verified_is_not_picked_again_until_its_result()
    {
        var info = Info(2);
        var picker = Picker(info);
        var blocks = Pick(picker, Only(2, 0), 10);
        Assert.Equal(2, blocks.Count);
        Assert.False(Receive(picker, blocks[0], "a"));
        Assert.True(Receive(picker, blocks[1], "a"));
        Assert.Equal(0, picker.PartialCount);

        // Verifying: neither a new piece nor endgame duplicates of it.
        Assert.Empty(Pick(picker, Only(2, 0), 10, []));
        Assert.DoesNotContain(Pick(picker, All(2), 10, []), b => b.Index == 0);

        picker.PieceFailed(0);
        var again = Pick(picker, Only(2, 0), 10, []);
        Assert.Equal([0, Block], again.Select(b => b.Begin));
        Assert.True(Receive(picker, again[0], "b") || Receive(picker, again[1], "b"));
        picker.PieceVerified(0);
        Assert.True(picker.Have[0]);
        Assert.Empty(Pick(picker, Only(2, 0), 10, []));
        Assert.False(picker.Wants(Only(2, 0)));
        Assert.True(picker.Wants(All(2)));
    }

    [Fact]
    public void Any_sequence_of_picks_give_backs_and_arrivals_never_hands_out_a_had_piece_and_always_can_finish()
    {
        var scripts =
            from pieces in Gen.Choose(1, 7)
            from blocksPerPiece in Gen.Choose(1, 3)
            from shortBy in Gen.Choose(0, Block - 1)
            from seed in Gen.Choose(0, int.MaxValue - 1)
            from opCount in Gen.Choose(0, 200)
            select (pieces, blocksPerPiece, shortBy, seed, opCount);

        Check.One(
            Config.QuickThrowOnFailure.WithMaxTest(300),
            Prop.ForAll(scripts.ToArbitrary(), s => RunScript(s.pieces, s.blocksPerPiece, s.shortBy, s.seed, s.opCount)));
    }

    private static bool RunScript(int pieces, int blocksPerPiece, int shortBy, int seed, int opCount)
    {
        var info = Info(pieces, blocksPerPiece * Block, shortBy);
        var rng = new Random(seed);
        var picker = Picker(info, seed);
        picker.MaxRequestsPerBlock = 1 + rng.Next(3);
        picker.Sequential = rng.Next(4) == 0;
        if (rng.Next(3) == 0)
        {
            picker.MaxPartialBytes = info.PieceLength * (1 + rng.Next(2));
        }

        const int PeerCount = 3;
        var has = new Bitfield[PeerCount];
        var asked = new HashSet<long>[PeerCount];
        for (var p = 0; p < PeerCount; p++)
        {
            // Peer 0 is a seed so the torrent can always finish.
            has[p] = p == 0 ? All(pieces) : new Bitfield(pieces);
            for (var i = 0; p > 0 && i < pieces; i++)
            {
                has[p][i] = rng.Next(2) == 0;
            }

            picker.AddPeer(has[p]);
            asked[p] = [];
        }

        var verifyQueue = new List<int>();

        void CheckPicked(int p, List<BlockRequest> picked)
        {
            foreach (var block in picked)
            {
                if (picker.Have[block.Index] || !has[p][block.Index] || !asked[p].Add(block.Key))
                {
                    throw new InvalidOperationException($"bad pick {block} for peer {p}");
                }
            }
        }

        void Arrive(int p, long key)
        {
            asked[p].Remove(key);
            var index = (int)(key >> 32);
            var begin = (int)(key & 0xFFFFFFFF);
            var length = Math.Min(Block, info.GetPieceSize(index) - begin);
            var partial = picker.BeginBlock(index, begin, length);
            if (partial is null)
            {
                return;
            }

            if (picker.BlockWritten(partial, begin, p))
            {
                verifyQueue.Add(index);
                if (picker.InEndgame)
                {
                    // Like the session: the other copies in flight are cancelled.
                    foreach (var other in asked)
                    {
                        other.RemoveWhere(k => (int)(k >> 32) == index);
                    }
                }
            }
        }

        for (var step = 0; step < opCount; step++)
        {
            var p = rng.Next(PeerCount);
            switch (rng.Next(5))
            {
                case 0:
                case 1:
                    var picked = new List<BlockRequest>();
                    picker.Pick(has[p], 1 + rng.Next(6), asked[p], picked);
                    CheckPicked(p, picked);
                    break;
                case 2:
                    if (asked[p].Count > 0)
                    {
                        var key = asked[p].ElementAt(rng.Next(asked[p].Count));
                        asked[p].Remove(key);
                        var index = (int)(key >> 32);
                        var begin = (int)(key & 0xFFFFFFFF);
                        picker.Unrequest(new BlockRequest(index, begin, Math.Min(Block, info.GetPieceSize(index) - begin)));
                    }

                    break;
                case 3:
                    if (asked[p].Count > 0)
                    {
                        Arrive(p, asked[p].ElementAt(rng.Next(asked[p].Count)));
                    }

                    break;
                default:
                    if (verifyQueue.Count > 0)
                    {
                        var piece = verifyQueue[0];
                        verifyQueue.RemoveAt(0);
                        if (rng.Next(3) == 0)
                        {
                            picker.PieceFailed(piece);
                        }
                        else
                        {
                            picker.PieceVerified(piece);
                        }
                    }

                    break;
            }
        }

        // Now the peers behave: everything outstanding arrives, verification succeeds, and the seed serves the rest.
        for (var round = 0; round < 4 * pieces * blocksPerPiece + 10 && !picker.Have.IsComplete; round++)
        {
            for (var p = 0; p < PeerCount; p++)
            {
                foreach (var key in asked[p].ToList())
                {
                    Arrive(p, key);
                }
            }

            foreach (var piece in verifyQueue)
            {
                picker.PieceVerified(piece);
            }

            verifyQueue.Clear();
            var picked = new List<BlockRequest>();
            picker.Pick(has[0], 1000, asked[0], picked);
            CheckPicked(0, picked);
        }

        if (!picker.Have.IsComplete)
        {
            throw new InvalidOperationException($"stuck with {picker.Have.Count} of {pieces} pieces and {picker.PartialCount} partial");
        }

        return true;
    }

    private static void Assume(bool condition)
    {
        if (!condition)
        {
            throw new InvalidOperationException("The seed no longer gives the test setup it expects; pick another seed.");
        }
    }
}
