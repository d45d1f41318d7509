using System.Diagnostics;
using System.Security.Cryptography;
using SmartShare.Cli.Tests.Support;
using Xunit.Abstractions;

namespace SmartShare.Cli.Tests.DiskFaults;

/// <summary>
/// A damaged or locked <c>smartshare.db</c> under real <c>smartshare</c> processes: the start stops with a sentence
/// naming the file and the way out, changes nothing, and <c>--recover-db</c> moves the damaged file aside.
/// </summary>
public sealed class DatabaseFaultTests(ITestOutputHelper output) : IDisposable
{
    private readonly CliWorkspace _workspace = new();

    private string Database => Path.Combine(_workspace.DataDirectory, "smartshare.db");

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public async Task A_damaged_database_stops_the_start_with_its_name_and_recover_db_moves_it_aside()
    {
        await _workspace.ShareForSdHashAsync(_workspace.CreateRandomFile("one.bin", 300_000));

        // Garbage over every page but the first (the header stays, so SQLite opens the file and finds the damage).
        var length = new FileInfo(Database).Length;
        Assert.True(length > 8192, $"The database is only {length} bytes.");
        using (var file = new FileStream(Database, FileMode.Open, FileAccess.Write))
        {
            file.Position = 4096;
            file.Write(RandomNumberGenerator.GetBytes((int)length - 4096));
        }

        var damaged = Sha256(Database);
        var start = await _workspace.RunAsync(["start", "--port", "0", "--bind", "127.0.0.1", "--api-port", "0", "--json"]);
        output.WriteLine(start.ToString());
        var message = start.ShouldFailWith(1, "storage");
        Assert.Contains(Database, message, StringComparison.Ordinal);
        Assert.Contains("damaged", message, StringComparison.Ordinal);
        Assert.Contains("--recover-db", message, StringComparison.Ordinal);
        Assert.Equal(damaged, Sha256(Database));

        // A one-off command on the data directory refuses the same way (it would otherwise list nothing, silently).
        (await _workspace.RunAsync("list", "--json")).ShouldFailWith(1, "storage");

        await using (var node = BackgroundSmartShare.Start(
            ["start", "--port", "0", "--bind", "127.0.0.1", "--api-port", "0", "--recover-db", "--data-dir", _workspace.DataDirectory],
            _workspace.Root,
            _workspace.Environment))
        {
            var moved = (await node.WaitForLineAsync(@"damaged database was moved to (\S+);")).Groups[1].Value;
            await node.WaitForLineAsync("Press Ctrl-C");
            Assert.Equal(damaged, Sha256(moved));
            Assert.StartsWith(Database + ".damaged-", moved, StringComparison.Ordinal);
            (await _workspace.RunAsync("stop")).ShouldExitWith(0);
            (await node.WaitForExitAsync()).ShouldExitWith(0);
        }

        // The new database works: the share can be listed again once added again.
        (await _workspace.RunAsync("list", "--json")).ShouldSucceedWithJson();
    }

    [Fact]
    public async Task A_truncated_database_is_damaged_too_not_a_new_empty_one()
    {
        await _workspace.ShareForSdHashAsync(_workspace.CreateRandomFile("one.bin", 300_000));
        (await _workspace.RunAsync("list", "--json")).ShouldSucceedWithJson();
        File.Delete(Database + "-wal");
        File.Delete(Database + "-shm");
        using (var file = new FileStream(Database, FileMode.Open, FileAccess.Write))
        {
            file.SetLength(0);
        }

        var message = (await _workspace.RunAsync("list", "--json")).ShouldFailWith(1, "storage");
        Assert.Contains($"The database {Database} is damaged (the file is empty)", message, StringComparison.Ordinal);
        Assert.Equal(0, new FileInfo(Database).Length);
    }

    [Fact]
    public async Task A_database_another_process_holds_locked_gives_a_sentence_within_seconds_not_a_hang()
    {
        var sdHash = await _workspace.ShareForSdHashAsync(_workspace.CreateRandomFile("one.bin", 300_000));
        if (!CanRun("sqlite3"))
        {
            output.WriteLine("Not checked: the sqlite3 command is not installed.");
            return;
        }

        // sqlite3 takes the write lock and holds it until its stdin closes.
        using var holder = Process.Start(new ProcessStartInfo("sqlite3", [Database])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        })!;
        try
        {
            await holder.StandardInput.WriteLineAsync("BEGIN EXCLUSIVE; INSERT INTO schema_versions VALUES ('lock-holder', 1); SELECT 'held';");
            await holder.StandardInput.FlushAsync();
            var held = await holder.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal("held", held);

            var clock = Stopwatch.StartNew();
            var start = await _workspace.RunAsync(["start", "--port", "0", "--bind", "127.0.0.1", "--api-port", "0", "--json"]);
            output.WriteLine($"{start} after {clock.Elapsed.TotalSeconds:0.0} s");
            var message = start.ShouldFailWith(1, "storage");
            Assert.Contains($"The database {Database} is locked by another process", message, StringComparison.Ordinal);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(25), $"The start took {clock.Elapsed.TotalSeconds:0.0} s to give up.");
        }
        finally
        {
            holder.StandardInput.Close();
            if (!holder.WaitForExit(TimeSpan.FromSeconds(10)))
            {
                holder.Kill();
            }
        }

        // The lock holder rolled back on exit: nothing was lost, the share is still listed.
        var list = (await _workspace.RunAsync("list", "--json")).ShouldSucceedWithJson();
        Assert.Contains(sdHash, list.ToString(), StringComparison.Ordinal);
    }

    private static string Sha256(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));

    private static bool CanRun(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(folder => File.Exists(Path.Combine(folder, program)));
}
