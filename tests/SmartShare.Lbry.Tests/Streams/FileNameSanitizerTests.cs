using System.Text;
using FsCheck;
using FsCheck.Fluent;
using SmartShare.Lbry.Streams;

namespace SmartShare.Lbry.Tests.Streams;

public sealed class FileNameSanitizerTests
{
    [Theory]
    [InlineData("hello.txt", "hello.txt")]
    [InlineData("two blobs.bin", "two blobs.bin")]
    [InlineData("a<b>c:d\"e|f?g*h.txt", "abcdefgh.txt")]
    [InlineData("  spaced  .txt", "spaced.txt")]
    [InlineData("trailing dots...", "trailing dots")]
    [InlineData("name.", "name")]
    [InlineData(".bashrc", ".bashrc")]
    [InlineData("CON", "lbry_download")]
    [InlineData("CON.txt", "lbry_download.txt")]
    [InlineData("con.txt", "con.txt")]
    [InlineData("", "lbry_download")]
    [InlineData("..", "lbry_download")]
    [InlineData("a\u0001b\u001fc.txt", "abc.txt")]
    [InlineData("x.t", "x.t")]
    [InlineData("archive.tar.gz", "archive.tar.gz")]
    public void Lbry_compatible_sanitizing_matches_lbry_sdk(string input, string expected)
    {
        Assert.Equal(expected, FileNameSanitizer.LbryCompatible(input));
    }

    [Theory]
    [InlineData("../../etc/passwd", "....etcpasswd")]
    [InlineData("..", "lbry_download")]
    [InlineData(".", "lbry_download")]
    [InlineData("...", "lbry_download")]
    [InlineData("/", "lbry_download")]
    [InlineData("a/b\\c.txt", "abc.txt")]
    [InlineData("con.txt", "_con.txt")]
    [InlineData("LPT1", "lbry_download")]
    [InlineData("lpt1", "_lpt1")]
    [InlineData("nul.tar.gz", "_nul.tar.gz")]
    [InlineData("evil\u202Etxt.exe", "eviltxt.exe")]
    [InlineData("tab\there.txt", "tabhere.txt")]
    [InlineData("del\u007Fete.txt", "delete.txt")]
    [InlineData("zero\u200Bwidth.txt", "zerowidth.txt")]
    public void Download_names_are_safe(string input, string expected)
    {
        Assert.Equal(expected, FileNameSanitizer.ForDownload(input));
    }

    [Fact]
    public void Long_names_are_cut_to_the_byte_limit_keeping_the_extension()
    {
        var name = new string('\u00e9', 300) + ".mkv";

        var safe = FileNameSanitizer.ForDownload(name);

        Assert.EndsWith(".mkv", safe, StringComparison.Ordinal);
        Assert.True(Encoding.UTF8.GetByteCount(safe) <= FileNameSanitizer.MaxNameBytes);
    }

    [Fact]
    public void Any_name_becomes_a_single_safe_path_component()
    {
        var property = Prop.ForAll(ArbMap.Default.ArbFor<string>(), name =>
        {
            var safe = FileNameSanitizer.ForDownload(name ?? string.Empty);
            var folder = Path.GetFullPath("/downloads");
            return safe.Length > 0
                && safe.Trim('.').Length > 0
                && !safe.Contains('/', StringComparison.Ordinal)
                && !safe.Contains('\\', StringComparison.Ordinal)
                && !safe.Any(char.IsControl)
                && Encoding.UTF8.GetByteCount(safe) <= FileNameSanitizer.MaxNameBytes
                && Path.GetDirectoryName(Path.GetFullPath(Path.Combine(folder, safe))) == folder;
        });

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(5000), property);
    }

    [Theory]
    [InlineData("a.b", "a", ".b")]
    [InlineData(".bashrc", ".bashrc", "")]
    [InlineData("..", "..", "")]
    [InlineData("a.", "a", ".")]
    [InlineData(".a.b", ".a", ".b")]
    [InlineData("a.b/c", "a.b/c", "")]
    [InlineData("noext", "noext", "")]
    public void Splits_extensions_like_python(string name, string stem, string extension)
    {
        Assert.Equal((stem, extension), FileNameSanitizer.SplitExtension(name));
    }
}
