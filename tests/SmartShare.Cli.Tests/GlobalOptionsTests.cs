using SmartShare.Cli.Tests.Support;

namespace SmartShare.Cli.Tests;

public sealed class GlobalOptionsTests
{
    [Fact]
    public async Task Without_data_dir_the_store_is_the_one_named_by_SMARTSHARE_DATA_DIR()
    {
        using var workspace = new CliWorkspace();
        var fromVariable = Path.Combine(workspace.Root, "from-variable");
        var source = workspace.CreateRandomFile("env.bin", 5000);

        var result = await workspace.RunWithoutDataDirAsync(
            ["share", source, "--json"],
            new Dictionary<string, string?> { ["SMARTSHARE_DATA_DIR"] = fromVariable });

        var sdHash = result.ShouldSucceedWithJson().GetProperty("sd_hash").GetString()!;
        Assert.True(File.Exists(Path.Combine(fromVariable, "blobs", sdHash)), $"Expected the sd blob under {fromVariable}.\n{result}");
        Assert.False(Directory.Exists(Path.Combine(workspace.Root, "xdg")));
    }

    [Fact]
    public async Task The_data_dir_option_wins_over_SMARTSHARE_DATA_DIR()
    {
        using var workspace = new CliWorkspace();
        var fromVariable = Path.Combine(workspace.Root, "from-variable");
        var source = workspace.CreateRandomFile("option.bin", 5000);

        var result = await workspace.RunWithoutDataDirAsync(
            ["share", source, "--data-dir", workspace.DataDirectory, "--json"],
            new Dictionary<string, string?> { ["SMARTSHARE_DATA_DIR"] = fromVariable });

        var sdHash = result.ShouldSucceedWithJson().GetProperty("sd_hash").GetString()!;
        Assert.True(File.Exists(workspace.BlobPath(sdHash)));
        Assert.False(Directory.Exists(fromVariable));
    }

    [Fact]
    public async Task Without_option_or_variable_the_store_is_under_XDG_DATA_HOME()
    {
        using var workspace = new CliWorkspace();
        var source = workspace.CreateRandomFile("xdg.bin", 5000);

        var result = await workspace.RunWithoutDataDirAsync(["share", source, "--json"]);

        var sdHash = result.ShouldSucceedWithJson().GetProperty("sd_hash").GetString()!;
        Assert.True(File.Exists(Path.Combine(workspace.Root, "xdg", "smartshare", "blobs", sdHash)), result.ToString());
    }

    [Fact]
    public async Task The_global_options_may_come_before_the_command()
    {
        using var workspace = new CliWorkspace();
        var source = workspace.CreateRandomFile("first.bin", 5000);

        var result = await workspace.RunWithoutDataDirAsync(["--json", "--data-dir", workspace.DataDirectory, "share", source]);

        var sdHash = result.ShouldSucceedWithJson().GetProperty("sd_hash").GetString()!;
        Assert.True(File.Exists(workspace.BlobPath(sdHash)));
    }
}
