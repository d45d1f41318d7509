namespace SmartShare.Fuzz.Tests;

/// <summary>
/// Every fuzz target runs in-process over its seed corpus, without afl: the harnesses keep compiling and working,
/// and a seed that makes a decoder throw anything but its format exception fails here.
/// </summary>
public sealed class SeedCorpusReplayTests
{
    public static TheoryData<string> Targets() => new(FuzzTargets.All.Keys);

    [Theory]
    [MemberData(nameof(Targets))]
    public void Every_seed_is_decoded_or_refused_with_the_format_exception(string target)
    {
        var corpus = Path.Combine(RepositoryRoot(), "fuzz", "corpus", target);
        Assert.True(Directory.Exists(corpus), $"No seed corpus at {corpus}.");
        Assert.NotEmpty(Directory.EnumerateFiles(corpus));

        var failures = FuzzTargets.Replay(FuzzTargets.All[target], corpus);

        Assert.Empty(failures);
    }

    [Fact]
    public void Every_corpus_folder_has_a_target()
    {
        var folders = Directory.EnumerateDirectories(Path.Combine(RepositoryRoot(), "fuzz", "corpus")).Select(Path.GetFileName);

        Assert.Equal(FuzzTargets.All.Keys.Order(StringComparer.Ordinal), folders.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Main_replays_a_corpus_and_refuses_an_unknown_target()
    {
        var corpus = Path.Combine(RepositoryRoot(), "fuzz", "corpus", "bencode-strict");

        Assert.Equal(0, Program.Main(["bencode-strict", "--replay", corpus]));
        Assert.Equal(2, Program.Main(["no-such-target"]));
    }

    [Theory]
    [InlineData("mse-responder", "seed-00", true)]
    [InlineData("mse-responder", "seed-01", true)]
    [InlineData("mse-responder", "seed-02", false)]
    [InlineData("mse-initiator", "seed-00", true)]
    [InlineData("mse-initiator", "seed-01", true)]
    [InlineData("mse-initiator", "seed-02", false)]
    public void The_honest_mse_seeds_reach_the_end_of_the_handshake(string target, string seed, bool completes)
    {
        // The harness plays the other side for real: unless its seeds complete a handshake, afl would never get
        // past the hashes to the encrypted fields.
        var input = File.ReadAllBytes(Path.Combine(RepositoryRoot(), "fuzz", "corpus", target, seed));

        var completed = target == "mse-responder" ? SmartShare.Fuzz.Targets.MseTargets.CompletesAsResponder(input) : SmartShare.Fuzz.Targets.MseTargets.CompletesAsInitiator(input);

        Assert.Equal(completes, completed);
    }

    [Fact]
    public void An_input_that_makes_a_decoder_allocate_past_the_bound_is_a_crash()
    {
        static void Greedy(byte[] input) => GC.KeepAlive(new byte[FuzzTargets.AllocationAllowance + 1024]);

        var error = Assert.Throws<InvalidOperationException>(() => FuzzTargets.RunBounded(Greedy, [1, 2, 3]));

        Assert.Contains("over the bound", error.Message, StringComparison.Ordinal);
        FuzzTargets.RunBounded(static input => GC.KeepAlive(new byte[1024]), [1, 2, 3]);
    }

    internal static string RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "SmartShare.slnx")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException($"No SmartShare.slnx above {AppContext.BaseDirectory}.");
    }
}
