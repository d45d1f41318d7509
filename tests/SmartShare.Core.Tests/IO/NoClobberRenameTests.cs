using SmartShare.IO;

namespace SmartShare.Core.Tests.IO;

public sealed class NoClobberRenameTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("smartshare-rename-").FullName;

    [Fact]
    public void Moves_a_file_onto_a_free_name()
    {
        var source = Path.Combine(_folder, "a.tmp");
        var destination = Path.Combine(_folder, "a.smartshare");
        File.WriteAllText(source, "new");

        NoClobberRename.Move(source, destination);

        Assert.False(File.Exists(source));
        Assert.Equal("new", File.ReadAllText(destination));
    }

    [Fact]
    public void Leaves_an_existing_destination_and_the_source_as_they_are()
    {
        var source = Path.Combine(_folder, "a.tmp");
        var destination = Path.Combine(_folder, "a.smartshare");
        File.WriteAllText(source, "new");
        File.WriteAllText(destination, "old");

        var error = Assert.Throws<IOException>(() => NoClobberRename.Move(source, destination));

        Assert.Contains($"\"{destination}\" already exists", error.Message, StringComparison.Ordinal);
        Assert.Equal("old", File.ReadAllText(destination));
        Assert.Equal("new", File.ReadAllText(source));
    }

    [Fact]
    public void Does_not_replace_a_dangling_symlink_at_the_destination()
    {
        var source = Path.Combine(_folder, "a.tmp");
        var destination = Path.Combine(_folder, "a.smartshare");
        File.WriteAllText(source, "new");
        File.CreateSymbolicLink(destination, Path.Combine(_folder, "nowhere"));

        Assert.Throws<IOException>(() => NoClobberRename.Move(source, destination));

        Assert.NotNull(new FileInfo(destination).LinkTarget);
        Assert.False(File.Exists(Path.Combine(_folder, "nowhere")));
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
