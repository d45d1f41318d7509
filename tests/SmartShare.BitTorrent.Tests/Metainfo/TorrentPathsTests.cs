using SmartShare.BitTorrent.Metainfo;

namespace SmartShare.BitTorrent.Tests.Metainfo;

public class TorrentPathsTests
{
    private static readonly string DownloadDirectory = Path.Combine(Path.GetTempPath(), "smartshare-downloads");

    [Theory]
    [InlineData("")]
    [InlineData(".")]
    [InlineData("..")]
    [InlineData("a/b")]
    [InlineData("/")]
    [InlineData("a\\b")]
    [InlineData("tab\there")]
    [InlineData("nul\0")]
    [InlineData("\u007f")]
    public void Calls_a_hostile_component_unsafe_and_says_why(string component)
    {
        Assert.True(TorrentPaths.IsUnsafe(component, out var problem));
        Assert.False(string.IsNullOrWhiteSpace(problem));
    }

    [Theory]
    [InlineData("file.txt")]
    [InlineData("...")]
    [InlineData(".hidden")]
    [InlineData("日本語")]
    [InlineData("with space")]
    public void Accepts_ordinary_names(string component)
    {
        Assert.False(TorrentPaths.IsUnsafe(component, out _));
    }

    [Fact]
    public void Calls_a_component_over_255_utf8_bytes_unsafe()
    {
        Assert.False(TorrentPaths.IsUnsafe(new string('a', 255), out _));
        Assert.True(TorrentPaths.IsUnsafe(new string('a', 256), out _));
        Assert.True(TorrentPaths.IsUnsafe(new string('é', 128), out _));
    }

    [Fact]
    public void Resolves_a_single_file_torrent_to_its_name_in_the_download_folder()
    {
        var torrent = Build("movie.mkv", isSingleFile: true, ["movie.mkv"]);

        Assert.Equal(
            Path.Combine(Path.GetFullPath(DownloadDirectory), "movie.mkv"),
            TorrentPaths.Resolve(DownloadDirectory, torrent, torrent.Info.Files[0]));
    }

    [Fact]
    public void Resolves_a_multi_file_torrent_under_a_folder_named_after_it()
    {
        var torrent = Build("album", isSingleFile: false, ["disc 1", "track.flac"]);

        Assert.Equal(
            Path.Combine(Path.GetFullPath(DownloadDirectory), "album", "disc 1", "track.flac"),
            TorrentPaths.Resolve(DownloadDirectory + Path.DirectorySeparatorChar, torrent, torrent.Info.Files[0]));
    }

    [Theory]
    [InlineData("..", "x")]
    [InlineData("a", "..")]
    [InlineData("a", "../../etc/passwd")]
    [InlineData("a", "/etc/passwd")]
    [InlineData("a", "")]
    public void Refuses_to_resolve_a_hand_built_torrent_whose_path_would_escape(string name, string component)
    {
        var torrent = Build(name, isSingleFile: false, [component]);

        Assert.Throws<ArgumentException>(() => TorrentPaths.Resolve(DownloadDirectory, torrent, torrent.Info.Files[0]));
    }

    [Fact]
    public void Refuses_to_resolve_a_single_file_torrent_named_dot_dot()
    {
        var torrent = Build("..", isSingleFile: true, [".."]);

        Assert.Throws<ArgumentException>(() => TorrentPaths.Resolve(DownloadDirectory, torrent, torrent.Info.Files[0]));
    }

    // Resolve must not trust the parser: these torrents are built directly, as other code could.
    private static Torrent Build(string name, bool isSingleFile, string[] path)
    {
        var file = new TorrentFile(path, 1, 0);
        var info = new TorrentInfo(name, 16384, new byte[20], [file], 1, IsPrivate: false, isSingleFile);
        return new Torrent(info, default, ReadOnlyMemory<byte>.Empty, null, [], [], [], null, null, null);
    }
}
