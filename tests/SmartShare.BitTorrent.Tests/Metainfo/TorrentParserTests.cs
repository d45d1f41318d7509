using System.Security.Cryptography;
using System.Text;
using SmartShare.BitTorrent.Metainfo;
using static SmartShare.BitTorrent.Tests.Metainfo.TorrentBytes;

namespace SmartShare.BitTorrent.Tests.Metainfo;

public class TorrentParserTests
{
    // Written by hand, keys in byte order; the info hash below is SHA-1 of exactly KnownInfo (checked with Python's hashlib).
    private const string KnownInfo = "d6:lengthi20e4:name5:a.txt12:piece lengthi16384e6:pieces20:AAAAAAAAAAAAAAAAAAAAe";
    private const string KnownInfoHash = "bd7471dd921330a50d7785c04f06285a8fc276f8";
    private const string KnownTorrent =
        "d8:announce20:http://t.example/ann7:comment5:hello10:created by4:test13:creation datei1700000000e4:info" + KnownInfo + "e";

    [Fact]
    public void Reads_a_hand_built_torrent_with_its_known_info_hash()
    {
        var torrent = TorrentParser.Parse(Encoding.ASCII.GetBytes(KnownTorrent));

        Assert.Equal(KnownInfoHash, torrent.InfoHash.ToString());
        Assert.Equal(SHA1.HashData(Encoding.ASCII.GetBytes(KnownInfo)), torrent.InfoHash.ToArray());
        Assert.Equal(KnownInfo, Encoding.ASCII.GetString(torrent.RawInfo.Span));
        Assert.Equal("a.txt", torrent.Info.Name);
        Assert.True(torrent.Info.IsSingleFile);
        Assert.False(torrent.Info.IsPrivate);
        Assert.Equal(20, torrent.Info.TotalLength);
        Assert.Equal(16384, torrent.Info.PieceLength);
        Assert.Equal(1, torrent.Info.PieceCount);
        Assert.Equal(20, torrent.Info.GetPieceSize(0));
        Assert.Equal(Encoding.ASCII.GetBytes(new string('A', 20)), torrent.Info.GetPieceHash(0).ToArray());
        var file = Assert.Single(torrent.Info.Files);
        Assert.Equal(["a.txt"], file.Path);
        Assert.Equal(20, file.Length);
        Assert.Equal(0, file.Offset);
        Assert.Equal("http://t.example/ann", torrent.Announce);
        Assert.Equal("hello", torrent.Comment);
        Assert.Equal("test", torrent.CreatedBy);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000), torrent.CreationDate);
        Assert.Empty(torrent.AnnounceList);
        Assert.Empty(torrent.Nodes);
        Assert.Empty(torrent.UrlList);
    }

    [Fact]
    public void Info_hash_covers_the_original_bytes_including_unknown_keys()
    {
        var info = SingleFileInfo();
        info["x-unknown"] = new object[] { 1, "two" };
        var outer = Outer(info);
        outer["a-unknown-before"] = "x";
        outer["z-unknown-after"] = new Dictionary<string, object> { ["k"] = 1 };
        var infoBytes = Encode(info);
        var bytes = Encode(outer);

        var torrent = TorrentParser.Parse(bytes);

        Assert.Equal(infoBytes, torrent.RawInfo.ToArray());
        Assert.Equal(SHA1.HashData(infoBytes), torrent.InfoHash.ToArray());
        Assert.NotEqual(InfoHash.Compute(Encode(SingleFileInfo())), torrent.InfoHash);
    }

    [Fact]
    public void The_parsed_torrent_does_not_change_when_the_input_buffer_does()
    {
        var bytes = SingleFileTorrent();
        var torrent = TorrentParser.Parse(bytes.AsMemory());
        var rawBefore = torrent.RawInfo.ToArray();

        Array.Fill(bytes, (byte)'x');

        Assert.Equal(rawBefore, torrent.RawInfo.ToArray());
    }

    [Fact]
    public void Reads_a_multi_file_torrent_with_offsets_and_zero_length_files()
    {
        var bytes = Encode(Outer(MultiFileInfo("album", (["a.flac"], 30_000), (["empty"], 0), (["disc 2", "b.flac"], 5_000))));

        var torrent = TorrentParser.Parse(bytes);

        Assert.False(torrent.Info.IsSingleFile);
        Assert.Equal("album", torrent.Info.Name);
        Assert.Equal(35_000, torrent.Info.TotalLength);
        Assert.Equal(3, torrent.Info.PieceCount);
        Assert.Equal(35_000 - (2 * PieceLength), torrent.Info.GetPieceSize(2));
        Assert.Equal(
            ["a.flac 30000@0", "empty 0@30000", "disc 2/b.flac 5000@30000"],
            torrent.Info.Files.Select(file => $"{string.Join('/', file.Path)} {file.Length}@{file.Offset}"));
    }

    [Fact]
    public void Reads_announce_list_tiers_in_order_and_drops_empty_tiers()
    {
        var outer = Outer(SingleFileInfo());
        outer["announce-list"] = new object[]
        {
            new object[] { "http://a/announce", "udp://b:80" },
            Array.Empty<object>(),
            new object[] { "http://c/announce" },
            "not a tier",
        };

        var torrent = TorrentParser.Parse(Encode(outer));

        Assert.Equal(2, torrent.AnnounceList.Count);
        Assert.Equal(["http://a/announce", "udp://b:80"], torrent.AnnounceList[0]);
        Assert.Equal(["http://c/announce"], torrent.AnnounceList[1]);
    }

    [Fact]
    public void Reads_url_list_given_as_one_string()
    {
        var outer = Outer(SingleFileInfo());
        outer["url-list"] = "http://seed.example/file.bin";

        Assert.Equal(["http://seed.example/file.bin"], TorrentParser.Parse(Encode(outer)).UrlList);
    }

    [Fact]
    public void Reads_url_list_given_as_a_list()
    {
        var outer = Outer(SingleFileInfo());
        outer["url-list"] = new object[] { "http://one/", "http://two/" };

        Assert.Equal(["http://one/", "http://two/"], TorrentParser.Parse(Encode(outer)).UrlList);
    }

    [Fact]
    public void Reads_dht_nodes_and_drops_malformed_ones()
    {
        var outer = Outer(SingleFileInfo());
        outer["nodes"] = new object[]
        {
            new object[] { "router.example", 6881 },
            new object[] { "127.0.0.1", 70000 },
            new object[] { "10.0.0.1" },
            new object[] { "10.0.0.2", 1 },
        };

        var torrent = TorrentParser.Parse(Encode(outer));

        Assert.Equal([new TorrentNode("router.example", 6881), new TorrentNode("10.0.0.2", 1)], torrent.Nodes);
    }

    [Fact]
    public void Reads_the_private_flag()
    {
        var info = SingleFileInfo();
        info["private"] = 1;

        Assert.True(TorrentParser.Parse(Encode(Outer(info))).Info.IsPrivate);
    }

    [Fact]
    public void Prefers_name_utf8_when_it_is_valid()
    {
        var info = SingleFileInfo(name: "legacy");
        info["name.utf-8"] = "préféré";

        Assert.Equal("préféré", TorrentParser.Parse(Encode(Outer(info))).Info.Name);
    }

    [Fact]
    public void Falls_back_to_name_when_name_utf8_is_invalid()
    {
        var info = SingleFileInfo(name: "plain");
        info["name.utf-8"] = new byte[] { 0xff, 0xfe };

        Assert.Equal("plain", TorrentParser.Parse(Encode(Outer(info))).Info.Name);
    }

    [Fact]
    public void Prefers_path_utf8_when_it_is_valid()
    {
        var info = MultiFileInfo("folder", (["old"], 100));
        var file = (Dictionary<string, object>)((object[])info["files"])[0];
        file["path.utf-8"] = new object[] { "neu", "ä.txt" };

        Assert.Equal(["neu", "ä.txt"], TorrentParser.Parse(Encode(Outer(info))).Info.Files[0].Path);
    }

    [Fact]
    public void Reads_a_hybrid_torrent_as_v1()
    {
        var info = SingleFileInfo();
        info["meta version"] = 2;
        info["file tree"] = new Dictionary<string, object> { ["file.bin"] = new Dictionary<string, object>() };

        Assert.Equal(40_000, TorrentParser.Parse(Encode(Outer(info))).Info.TotalLength);
    }

    [Fact]
    public void Refuses_a_v2_only_torrent_with_a_sentence()
    {
        var info = SingleFileInfo();
        info.Remove("pieces");
        info["meta version"] = 2;

        var error = Assert.Throws<TorrentFormatException>(() => TorrentParser.Parse(Encode(Outer(info))));
        Assert.Contains("v2-only", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(8 * 1024)]
    [InlineData(20_000)]
    [InlineData(3 * 16 * 1024)]
    [InlineData(128 * 1024 * 1024)]
    [InlineData(-16384)]
    public void Refuses_a_piece_length_that_is_not_a_power_of_two_in_range(int pieceLength)
    {
        var info = SingleFileInfo();
        info["piece length"] = pieceLength;

        var error = Assert.Throws<TorrentFormatException>(() => TorrentParser.Parse(Encode(Outer(info))));
        Assert.Contains("piece length", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Accepts_the_largest_piece_length()
    {
        var info = SingleFileInfo();
        info["piece length"] = TorrentLimits.MaxPieceLength;
        info["pieces"] = new byte[20];

        Assert.Equal(TorrentLimits.MaxPieceLength, TorrentParser.Parse(Encode(Outer(info))).Info.PieceLength);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(19)]
    [InlineData(40)]
    [InlineData(80)]
    public void Refuses_pieces_whose_length_does_not_match_the_data(int piecesLength)
    {
        var info = SingleFileInfo(length: 40_000);
        info["pieces"] = new byte[piecesLength];

        var error = Assert.Throws<TorrentFormatException>(() => TorrentParser.Parse(Encode(Outer(info))));
        Assert.Contains("\"pieces\"", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("name")]
    [InlineData("pieces")]
    [InlineData("piece length")]
    [InlineData("length")]
    public void Refuses_an_info_dictionary_missing_a_required_key(string key)
    {
        var info = SingleFileInfo();
        info.Remove(key);

        var error = Assert.Throws<TorrentFormatException>(() => TorrentParser.Parse(Encode(Outer(info))));
        Assert.Contains(key == "length" ? "neither" : key, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Refuses_a_torrent_without_info()
    {
        var error = Assert.Throws<TorrentFormatException>(() => TorrentParser.Parse(Encode(new Dictionary<string, object> { ["announce"] = "x" })));
        Assert.Contains("\"info\"", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Refuses_info_that_is_not_a_dictionary()
    {
        Assert.Throws<TorrentFormatException>(() => TorrentParser.Parse(Encode(new Dictionary<string, object> { ["info"] = "x" })));
    }

    [Fact]
    public void Refuses_a_file_that_is_not_a_dictionary()
    {
        Assert.Throws<TorrentFormatException>(() => TorrentParser.Parse("li1ee"u8));
    }

    [Fact]
    public void Refuses_both_length_and_files()
    {
        var info = MultiFileInfo("f", (["a"], 10));
        info["length"] = 10;

        Assert.Throws<TorrentFormatException>(() => TorrentParser.Parse(Encode(Outer(info))));
    }

    [Fact]
    public void Refuses_a_negative_length()
    {
        var error = Assert.Throws<TorrentFormatException>(() => TorrentParser.Parse(Encode(Outer(SingleFileInfo(length: -5)))));
        Assert.Contains("negative", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Refuses_a_negative_file_length_in_a_multi_file_torrent()
    {
        var info = MultiFileInfo("f", (["a"], 100), (["b"], -1));

        var error = Assert.Throws<TorrentFormatException>(() => TorrentParser.Parse(Encode(Outer(info))));
        Assert.Contains("file 1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Refuses_a_length_over_the_limit()
    {
        var info = SingleFileInfo(length: 100);
        info["length"] = TorrentLimits.MaxTotalLength + 1;

        Assert.Throws<TorrentFormatException>(() => TorrentParser.Parse(Encode(Outer(info))));
    }

    [Fact]
    public void Refuses_files_that_add_up_to_more_than_the_limit()
    {
        var info = MultiFileInfo("f", (["a"], 100), (["b"], 100));
        var files = (object[])info["files"];
        ((Dictionary<string, object>)files[0])["length"] = TorrentLimits.MaxTotalLength;
        ((Dictionary<string, object>)files[1])["length"] = TorrentLimits.MaxTotalLength;

        var error = Assert.Throws<TorrentFormatException>(() => TorrentParser.Parse(Encode(Outer(info))));
        Assert.Contains("add up", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Refuses_a_torrent_with_no_data()
    {
        var info = MultiFileInfo("f", (["a"], 0));

        Assert.Throws<TorrentFormatException>(() => TorrentParser.Parse(Encode(Outer(info))));
    }

    [Fact]
    public void Refuses_an_empty_files_list()
    {
        var info = MultiFileInfo("f", (["a"], 10));
        info["files"] = Array.Empty<object>();

        Assert.Throws<TorrentFormatException>(() => TorrentParser.Parse(Encode(Outer(info))));
    }

    [Theory]
    [InlineData("..")]
    [InlineData(".")]
    [InlineData("")]
    [InlineData("a/b")]
    [InlineData("a\\b")]
    [InlineData("bell\u0007")]
    [InlineData("del\u007f")]
    public void Refuses_an_unsafe_path_component(string component)
    {
        var info = MultiFileInfo("f", (["ok", component], 10));

        var error = Assert.Throws<TorrentFormatException>(() => TorrentParser.Parse(Encode(Outer(info))));
        Assert.Contains("Component 1 of the path of file 0", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("..")]
    [InlineData("")]
    [InlineData("a/b")]
    public void Refuses_an_unsafe_name(string name)
    {
        var error = Assert.Throws<TorrentFormatException>(() => TorrentParser.Parse(Encode(Outer(SingleFileInfo(name: name)))));
        Assert.Contains("name", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Refuses_an_unsafe_path_utf8_even_when_path_is_safe()
    {
        var info = MultiFileInfo("f", (["safe"], 10));
        ((Dictionary<string, object>)((object[])info["files"])[0])["path.utf-8"] = new object[] { ".." };

        Assert.Throws<TorrentFormatException>(() => TorrentParser.Parse(Encode(Outer(info))));
    }

    [Fact]
    public void Refuses_a_component_longer_than_255_utf8_bytes()
    {
        var info = MultiFileInfo("f", ([new string('é', 128)], 10));

        Assert.Throws<TorrentFormatException>(() => TorrentParser.Parse(Encode(Outer(info))));
    }

    [Fact]
    public void Accepts_a_component_of_exactly_255_bytes_and_a_path_exactly_at_the_depth_limit()
    {
        var path = Enumerable.Repeat("d", TorrentLimits.MaxPathDepth - 1).Append(new string('x', 255)).ToArray();

        Assert.Equal(path, TorrentParser.Parse(Encode(Outer(MultiFileInfo("f", (path, 10))))).Info.Files[0].Path);
    }

    [Fact]
    public void Refuses_a_path_deeper_than_the_limit()
    {
        var path = Enumerable.Repeat("d", TorrentLimits.MaxPathDepth + 1).ToArray();

        var error = Assert.Throws<TorrentFormatException>(() => TorrentParser.Parse(Encode(Outer(MultiFileInfo("f", (path, 10))))));
        Assert.Contains("deep", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Refuses_a_path_listed_twice()
    {
        var error = Assert.Throws<TorrentFormatException>(() => TorrentParser.Parse(Encode(Outer(MultiFileInfo("f", (["a", "b"], 10), (["a", "b"], 10))))));
        Assert.Contains("twice", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Refuses_a_file_that_is_also_the_folder_of_a_later_file()
    {
        var error = Assert.Throws<TorrentFormatException>(() => TorrentParser.Parse(Encode(Outer(MultiFileInfo("f", (["a"], 10), (["a", "b"], 10))))));
        Assert.Contains("which is a file", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Refuses_a_folder_that_is_also_a_later_file()
    {
        var error = Assert.Throws<TorrentFormatException>(() => TorrentParser.Parse(Encode(Outer(MultiFileInfo("f", (["a", "b"], 10), (["a"], 10))))));
        Assert.Contains("also a folder", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Accepts_files_sharing_a_folder()
    {
        var torrent = TorrentParser.Parse(Encode(Outer(MultiFileInfo("f", (["a", "b"], 10), (["a", "c"], 10), (["ab"], 1)))));

        Assert.Equal(3, torrent.Info.Files.Count);
    }

    [Fact]
    public void Refuses_an_empty_path()
    {
        Assert.Throws<TorrentFormatException>(() => TorrentParser.Parse(Encode(Outer(MultiFileInfo("f", ([], 10))))));
    }

    [Fact]
    public void Refuses_a_name_that_is_not_utf8()
    {
        var info = SingleFileInfo();
        info["name"] = new byte[] { (byte)'a', 0xc3 };

        var error = Assert.Throws<TorrentFormatException>(() => TorrentParser.Parse(Encode(Outer(info))));
        Assert.Contains("UTF-8", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Refuses_a_path_component_that_is_not_utf8()
    {
        var info = MultiFileInfo("f", (["a"], 10));
        ((Dictionary<string, object>)((object[])info["files"])[0])["path"] = new object[] { new byte[] { 0x80 } };

        var error = Assert.Throws<TorrentFormatException>(() => TorrentParser.Parse(Encode(Outer(info))));
        Assert.Contains("UTF-8", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Refuses_bencode_with_unsorted_keys_and_says_where()
    {
        var bytes = Encoding.ASCII.GetBytes("d4:infod4:name1:a6:lengthi1eee");

        var error = Assert.Throws<TorrentFormatException>(() => TorrentParser.Parse(bytes));
        Assert.Contains("byte offset", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Refuses_trailing_bytes_after_the_torrent()
    {
        Assert.Throws<TorrentFormatException>(() => TorrentParser.Parse([.. SingleFileTorrent(), (byte)'x']));
    }

    [Fact]
    public void Refuses_a_file_over_the_size_limit_before_decoding_it()
    {
        var error = Assert.Throws<TorrentFormatException>(() => TorrentParser.Parse(new byte[TorrentLimits.MaxMetainfoBytes + 1]));
        Assert.Contains("refused", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Drops_malformed_optional_fields_instead_of_refusing()
    {
        var outer = Outer(SingleFileInfo());
        outer["announce"] = 5;
        outer["comment"] = new byte[] { 0xff };
        outer["creation date"] = -1;
        outer["nodes"] = "x";

        var torrent = TorrentParser.Parse(Encode(outer));

        Assert.Null(torrent.Announce);
        Assert.Null(torrent.Comment);
        Assert.Null(torrent.CreationDate);
        Assert.Empty(torrent.Nodes);
    }
}
