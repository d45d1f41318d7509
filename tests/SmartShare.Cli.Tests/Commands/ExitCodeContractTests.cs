using SmartShare.Cli.Tests.Support;

namespace SmartShare.Cli.Tests.Commands;

/// <summary>
/// The exit-code contract (0 success, 1 failure, 2 bad input, 130 interrupted) for every bad input a user is likely
/// to give: each exits 2 with the same sentence whether a node runs (the work is done there) or not (a one-off node in
/// the command's process does it), names the file, and says what is wrong in our own words.
/// </summary>
public sealed class ExitCodeContractTests : IDisposable
{
    private readonly CliWorkspace _workspace = new();

    /// <summary>One bad input: the arguments, the error kind, what the sentence must say.</summary>
    public sealed record BadInput(string[] Arguments, string Kind, params string[] Says)
    {
        public override string ToString() => string.Join(' ', Arguments);
    }

    public static IReadOnlyList<BadInput> Cases { get; } =
    [
        new(["share", "nope.bin"], "bad_source", "nope.bin", "there is no such file"),
        new(["share", "nope.bin", "--torrent"], "bad_source", "nope.bin", "there is no such file"),
        new(["share", "a-folder"], "bad_source", "a-folder", "is a folder", "Add --torrent"),
        new(["share", "empty.bin"], "bad_source", "empty.bin", "is empty"),
        new(["get", "nope.torrent"], "bad_input", "nope.torrent"),
        new(["get", "nope.smartshare"], "bad_input", "nope.smartshare"),
        new(["get", "empty.smartshare"], "bad_input", "empty.smartshare", "it is empty"),
        new(["get", "truncated.smartshare"], "bad_input", "truncated.smartshare", "cut short"),
        new(["get", "fields.smartshare"], "bad_input", "fields.smartshare", "a field it needs"),
        new(["get", "empty.torrent"], "bad_input", "empty.torrent", "it is empty"),
        new(["get", "junk.torrent"], "bad_input", "junk.torrent", "not bencoded"),
        new(["get", "abc"], "bad_input", "'abc'"),
        new(["get", "magnet:?xt=urn:btih:nothex"], "bad_input", "magnet"),
    ];

    [Fact]
    public async Task Every_bad_input_exits_2_with_a_sentence_of_our_own_with_no_node_running()
    {
        PrepareFiles();

        await AssertEveryCaseAsync([]);
    }

    [Fact]
    public async Task Every_bad_input_exits_2_with_the_same_sentence_through_a_running_node()
    {
        PrepareFiles();
        await using var node = BackgroundSmartShare.Start(
            ["start", "--port", "0", "--bind", "127.0.0.1", "--api", "http://127.0.0.1:0", "--no-bt-dht", "--json", "--data-dir", _workspace.DataDirectory],
            _workspace.Root,
            _workspace.Environment);
        var api = (await node.WaitForLineAsync(@"API on (http://127\.0\.0\.1:\d+)")).Groups[1].Value;

        await AssertEveryCaseAsync(["--api", api]);

        Assert.Empty(_workspace.BlobFolderFileNames());
    }

    public void Dispose() => _workspace.Dispose();

    private async Task AssertEveryCaseAsync(string[] extra)
    {
        var problems = new List<string>();
        foreach (var bad in Cases)
        {
            var result = await _workspace.RunAsync([.. bad.Arguments, .. extra, "--json"]);
            if (result.ExitCode != 2)
            {
                problems.Add($"'{bad}' exited {result.ExitCode}, not 2.\n{result}");
                continue;
            }

            var message = result.ShouldFailWith(2, bad.Kind);
            foreach (var words in bad.Says.Where(words => !message.Contains(words, StringComparison.Ordinal)))
            {
                problems.Add($"'{bad}' said \"{message}\", without \"{words}\".");
            }

            // .NET's own sentences (the JSON reader's, an internal error) are not ours.
            foreach (var foreign in new[] { "isFinalBlock", "BytePositionInLine", "Internal error", "LineNumber" })
            {
                if (message.Contains(foreign, StringComparison.Ordinal))
                {
                    problems.Add($"'{bad}' said \"{message}\", which quotes \"{foreign}\".");
                }
            }
        }

        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    private void PrepareFiles()
    {
        var folder = Directory.CreateDirectory(Path.Combine(_workspace.Root, "a-folder")).FullName;
        File.WriteAllText(Path.Combine(folder, "inside.txt"), "in a folder");
        File.WriteAllBytes(Path.Combine(_workspace.Root, "empty.bin"), []);
        File.WriteAllBytes(Path.Combine(_workspace.Root, "empty.smartshare"), []);
        File.WriteAllText(Path.Combine(_workspace.Root, "truncated.smartshare"), """{"smartshare": 1, "name": "cut""");
        File.WriteAllText(Path.Combine(_workspace.Root, "fields.smartshare"), """{"smartshare": 1}""");
        File.WriteAllBytes(Path.Combine(_workspace.Root, "empty.torrent"), []);
        File.WriteAllText(Path.Combine(_workspace.Root, "junk.torrent"), "this is no torrent");
    }
}
