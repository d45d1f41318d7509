using SmartShare.Cli.Tests.Support;

namespace SmartShare.Cli.Tests;

public sealed class CliApplicationTests
{
    [Theory]
    [InlineData("--help")]
    [InlineData("share", "--help")]
    [InlineData("get", "--help")]
    [InlineData("blobs", "--help")]
    public async Task Help_exits_0_and_describes_the_command(params string[] arguments)
    {
        using var workspace = new CliWorkspace();

        var result = await workspace.RunWithoutDataDirAsync(arguments);

        result.ShouldExitWith(0);
        Assert.Contains("Usage:", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("--data-dir", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("--json", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("--verbose", result.StandardOutput, StringComparison.Ordinal);
        Assert.Equal(string.Empty, result.StandardError);
    }

    [Fact]
    public async Task Top_level_help_lists_share_get_and_blobs()
    {
        using var workspace = new CliWorkspace();

        var result = await workspace.RunWithoutDataDirAsync(["--help"]);

        result.ShouldExitWith(0);
        foreach (var command in new[] { "share", "get", "blobs" })
        {
            Assert.Contains(result.OutputLines, line => line.TrimStart().StartsWith(command + " ", StringComparison.Ordinal));
        }
    }

    [Theory]
    [InlineData("get")]
    [InlineData("share")]
    [InlineData("frobnicate")]
    [InlineData("share", "a.bin", "--no-such-option")]
    public async Task A_usage_error_in_json_mode_is_one_error_object_with_exit_code_2(params string[] arguments)
    {
        using var workspace = new CliWorkspace();

        var result = await workspace.RunAsync([.. arguments, "--json"]);

        result.ShouldFailWith(2, "usage");
        Assert.False(Directory.Exists(workspace.DataDirectory), "A command line that does not parse should not create the data directory.");
    }

    [Fact]
    public async Task A_usage_error_in_human_mode_exits_2_with_an_error_line_on_stderr()
    {
        using var workspace = new CliWorkspace();

        var result = await workspace.RunAsync("get");

        result.ShouldExitWith(2);
        Assert.Contains(result.ErrorLines, line => line.StartsWith("error: ", StringComparison.Ordinal));
        result.ShouldShowNoStackTrace();
    }
}
