using SmartShare.BitTorrent.Metainfo;
using static SmartShare.BitTorrent.Tests.Metainfo.TorrentBytes;

namespace SmartShare.BitTorrent.Tests.Metainfo;

/// <summary>Hybrid v1/v2 torrents (BEP 52) as libtorrent 2.0 writes them: pad files (BEP 47) between files.</summary>
public sealed class HybridTorrentParserTests
{
    // libtorrent names every pad file ".pad/LENGTH", so two pads of one length share a path.
    private static Dictionary<string, object> Padded()
    {
        var info = MultiFileInfo(
            "album",
            (["a.bin"], 40_000),
            ([".pad", "25536"], 25_536),
            (["b.bin"], 40_000),
            ([".pad", "25536"], 25_536),
            (["c.bin"], 1));
        foreach (var index in new[] { 1, 3 })
        {
            ((Dictionary<string, object>)((object[])info["files"])[index])["attr"] = "p";
        }

        info["meta version"] = 2;
        info["file tree"] = new Dictionary<string, object>();
        return info;
    }

    [Fact]
    public void Pad_files_are_gaps_in_the_byte_stream_not_files()
    {
        var info = TorrentParser.Parse(Encode(Outer(Padded()))).Info;

        Assert.True(info.IsHybrid);
        Assert.Equal([["a.bin"], ["b.bin"], ["c.bin"]], info.Files.Select(file => file.Path.ToArray()));
        Assert.Equal([0L, 65_536L, 131_072L], info.Files.Select(file => file.Offset));
        Assert.Equal(131_073, info.TotalLength);
        Assert.Equal(80_001, info.ContentLength);
        Assert.Equal(9, info.PieceCount);
    }

    [Fact]
    public void An_attribute_without_p_leaves_a_file_a_file()
    {
        var info = MultiFileInfo("f", (["run.sh"], 10), (["data"], 10));
        ((Dictionary<string, object>)((object[])info["files"])[0])["attr"] = "x";

        var parsed = TorrentParser.Parse(Encode(Outer(info))).Info;
        Assert.Equal(2, parsed.Files.Count);
        Assert.False(parsed.IsHybrid);
    }

    [Fact]
    public void A_torrent_of_pad_files_only_is_refused()
    {
        var info = MultiFileInfo("f", ([".pad", "10"], 10));
        ((Dictionary<string, object>)((object[])info["files"])[0])["attr"] = "p";

        var error = Assert.Throws<TorrentFormatException>(() => TorrentParser.Parse(Encode(Outer(info))));
        Assert.Contains("only pad files", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Pad_lengths_still_count_toward_the_size_limit()
    {
        var info = MultiFileInfo("f", (["a"], 10), ([".pad", "x"], 10));
        var pad = (Dictionary<string, object>)((object[])info["files"])[1];
        pad["attr"] = "p";
        pad["length"] = TorrentLimits.MaxTotalLength;

        var error = Assert.Throws<TorrentFormatException>(() => TorrentParser.Parse(Encode(Outer(info))));
        Assert.Contains("add up to more than", error.Message, StringComparison.Ordinal);
    }
}
