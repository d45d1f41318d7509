using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace SmartShare.Cli.Tests.Support;

/// <summary>A long-running smartshare process (such as <c>start</c>) whose stderr lines can be awaited as they come.</summary>
public sealed class BackgroundSmartShare : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly List<string> _stderr = [];
    private readonly Lock _lock = new();
    private readonly IReadOnlyList<string> _arguments;

    private BackgroundSmartShare(Process process, IReadOnlyList<string> arguments)
    {
        _process = process;
        _arguments = arguments;
        process.OutputDataReceived += (_, line) =>
        {
            if (line.Data is not null)
            {
                lock (_lock)
                {
                    _stdout.AppendLine(line.Data);
                }
            }
        };
        process.ErrorDataReceived += (_, line) =>
        {
            if (line.Data is not null)
            {
                lock (_lock)
                {
                    _stderr.Add(line.Data);
                }
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public int ProcessId => _process.Id;

    /// <summary>The stderr lines printed so far.</summary>
    public IReadOnlyList<string> ErrorLines
    {
        get
        {
            lock (_lock)
            {
                return [.. _stderr];
            }
        }
    }

    public static BackgroundSmartShare Start(
        IReadOnlyList<string> arguments, string workingDirectory, IReadOnlyDictionary<string, string?> environment, IReadOnlyList<string>? launcher = null)
    {
        var startInfo = SmartShareProcess.StartInfo(arguments, workingDirectory, environment, launcher);
        var process = Process.Start(startInfo) ?? throw new InvalidOperationException("Could not start dotnet.");
        return new BackgroundSmartShare(process, arguments);
    }

    /// <summary>Waits for a stderr line matching <paramref name="pattern"/> and returns its match.</summary>
    public async Task<Match> WaitForLineAsync(string pattern, TimeSpan? timeLimit = null)
    {
        var regex = new Regex(pattern, RegexOptions.CultureInvariant);
        Match? found = null;
        await SmartShareProcess.WaitUntilAsync(
            () =>
            {
                lock (_lock)
                {
                    found = _stderr.Select(line => regex.Match(line)).FirstOrDefault(match => match.Success);
                }

                Assert.False(_process.HasExited && found is null, $"smartshare exited before printing /{pattern}/:\n{string.Join('\n', _stderr)}");
                return found is not null;
            },
            $"smartshare printed /{pattern}/",
            timeLimit ?? TimeSpan.FromSeconds(60));
        return found!;
    }

    /// <summary>Sends a signal and waits for the process to end.</summary>
    public async Task<CliResult> StopAsync(string signal)
    {
        await SmartShareProcess.SignalAsync(_process.Id, signal);
        return await WaitForExitAsync();
    }

    /// <summary>Waits for the process to end by itself (for example after <c>smartshare stop</c>).</summary>
    public async Task<CliResult> WaitForExitAsync()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _process.WaitForExitAsync(deadline.Token);
        _process.WaitForExit();
        lock (_lock)
        {
            return new CliResult(_arguments, _process.ExitCode, _stdout.ToString(), string.Join('\n', _stderr));
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
