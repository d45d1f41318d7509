using System.Diagnostics;

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

        await beside;
        return new CliResult(arguments, process.ExitCode, await standardOutput, await standardError);
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

    /// <summary>Sends a POSIX signal (INT, TERM) to a process, as Ctrl-C or a service manager would.</summary>
    public static async Task SignalAsync(int processId, string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-" + signal, processId.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            ?? throw new InvalidOperationException("Could not run kill.");
        await kill.WaitForExitAsync();
        Assert.Equal(0, kill.ExitCode);
    }

    /// <summary>Waits until a condition holds, polling, and fails the test past the time limit.</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan? timeLimit = null)
    {
        var deadline = DateTime.UtcNow + (timeLimit ?? TimeSpan.FromSeconds(30));
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Timed out waiting until {what}.");
            await Task.Delay(10);
        }
    }
}
