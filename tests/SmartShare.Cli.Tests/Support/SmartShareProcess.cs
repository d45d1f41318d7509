using System.Diagnostics;
using System.Runtime.InteropServices;

namespace SmartShare.Cli.Tests.Support;

/// <summary>
/// Runs the real smartshare command (smartshare.dll, copied next to this test assembly by the project
/// reference) as a child process, the way a script would: redirected output, a time limit, and an
/// environment that cannot reach the user's own data directory.
/// </summary>
public static class SmartShareProcess
{
    public static readonly TimeSpan DefaultTimeLimit = TimeSpan.FromSeconds(60);

    public static string AssemblyPath { get; } = Path.Combine(AppContext.BaseDirectory, "smartshare.dll");

    /// <param name="arguments">The command line after "smartshare".</param>
    /// <param name="workingDirectory">Where relative paths on the command line resolve.</param>
    /// <param name="environment">Variables to set (a null value removes one); SMARTSHARE_DATA_DIR is removed unless given here.</param>
    /// <param name="timeLimit">Past it the process tree is killed and the test fails.</param>
    /// <param name="whileRunning">Runs beside the process with its id (to signal it, say); awaited after it exits.</param>
    public static async Task<CliResult> RunAsync(
        IReadOnlyList<string> arguments,
        string workingDirectory,
        IReadOnlyDictionary<string, string?>? environment = null,
        TimeSpan? timeLimit = null,
        Func<int, Task>? whileRunning = null,
        string? standardInput = null,
        IReadOnlyList<string>? launcher = null)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        Assert.True(File.Exists(AssemblyPath), $"smartshare.dll is not next to the test assembly: {AssemblyPath}");

        var startInfo = StartInfo(arguments, workingDirectory, environment, launcher);
        using var process = Process.Start(startInfo) ?? throw new InvalidOperationException("Could not start dotnet.");
        if (standardInput is not null)
        {
            await process.StandardInput.WriteAsync(standardInput);
        }

        process.StandardInput.Close();
        var standardOutput = process.StandardOutput.ReadToEndAsync();
        var standardError = process.StandardError.ReadToEndAsync();
        var beside = whileRunning?.Invoke(process.Id) ?? Task.CompletedTask;

        var limit = timeLimit ?? DefaultTimeLimit;
        using var deadline = new CancellationTokenSource(limit);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            var partial = new CliResult(arguments, -1, await standardOutput, await standardError);
            Assert.Fail($"smartshare did not finish within {limit.TotalSeconds} s and was killed.\n{partial}");
        }

        var result = new CliResult(arguments, process.ExitCode, await standardOutput, await standardError);
        try
        {
            await beside;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // What the process said is what tells why the condition beside it never held.
            throw new Xunit.Sdk.XunitException($"{ex.Message}\nThe process meanwhile:\n{result}", ex);
        }

        return result;
    }

    /// <summary>
    /// How every test starts smartshare: the real executable, its own environment, all streams redirected;
    /// <paramref name="launcher"/> runs it through another command (such as <c>ip netns exec NAME</c>).
    /// </summary>
    public static ProcessStartInfo StartInfo(
        IReadOnlyList<string> arguments, string workingDirectory, IReadOnlyDictionary<string, string?>? environment, IReadOnlyList<string>? launcher = null)
    {
        ArgumentNullException.ThrowIfNull(arguments);

        // The dotnet CLI tells the processes it starts (the test host among them) which host it is.
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        var dotnet = string.IsNullOrEmpty(host) ? "dotnet" : host;
        var startInfo = new ProcessStartInfo(launcher is [var first, ..] ? first : dotnet)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        if (launcher is { Count: > 0 })
        {
            foreach (var part in launcher.Skip(1))
            {
                startInfo.ArgumentList.Add(part);
            }

            startInfo.ArgumentList.Add(dotnet);
        }

        startInfo.ArgumentList.Add(AssemblyPath);
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        startInfo.Environment.Remove("SMARTSHARE_DATA_DIR");
        startInfo.Environment["DOTNET_NOLOGO"] = "1";
        startInfo.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                startInfo.Environment.Remove(name);
            }
            else
            {
                startInfo.Environment[name] = value;
            }
        }

        return startInfo;
    }

    /// <summary>
    /// Sends a POSIX signal (HUP, INT, TERM, KILL) to a process, as Ctrl-C, a terminal, a service manager or a crash
    /// would: kill(2) from this process, at once. Spawning kill(1) took long enough on a loaded machine for a 300 MiB
    /// share to commit first.
    /// </summary>
    public static Task SignalAsync(int processId, string signal)
    {
        var number = signal switch
        {
            "HUP" => 1,
            "KILL" => 9,
            "INT" => 2,
            "TERM" => 15,
            _ => throw new ArgumentOutOfRangeException(nameof(signal), signal, "HUP, INT, TERM or KILL"),
        };
        Assert.True(Kill(processId, number) == 0, $"kill({processId}, SIG{signal}) failed: errno {Marshal.GetLastPInvokeError()}");
        return Task.CompletedTask;
    }

    // DllImport, not LibraryImport: an int-only signature needs no marshalling, and the generator needs unsafe code.
#pragma warning disable SYSLIB1054
    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int processId, int signal);
#pragma warning restore SYSLIB1054

    /// <summary>Waits until a condition holds, polling, and fails the test past the time limit.</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan? timeLimit = null)
    {
        var deadline = DateTime.UtcNow + (timeLimit ?? TimeSpan.FromSeconds(30));
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Timed out waiting until {what}.");
            await Task.Delay(10).ConfigureAwait(false);
        }
    }
}
