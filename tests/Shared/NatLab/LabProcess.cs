using System.Diagnostics;

namespace SmartShare.Tests.Shared;

/// <summary>A long-running process inside a lab namespace (miniupnpd, a peer) whose output lines are kept as they come.</summary>
internal sealed class LabProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly Lock _lock = new();

    private LabProcess(Process process, IReadOnlyList<string> command)
    {
        _process = process;
        Command = command;
        process.OutputDataReceived += (_, line) => Keep(line.Data);
        process.ErrorDataReceived += (_, line) => Keep(line.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public IReadOnlyList<string> Command { get; }

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Every line printed so far, stdout and stderr interleaved as they arrived.</summary>
    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lock)
            {
                return [.. _lines];
            }
        }
    }

    public string Log => string.Join('\n', Lines);

    public static LabProcess Start(IReadOnlyList<string> command)
    {
        var startInfo = new ProcessStartInfo(command[0])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in command.Skip(1))
        {
            startInfo.ArgumentList.Add(argument);
        }

        var process = Process.Start(startInfo) ?? throw new InvalidOperationException($"Could not start {command[0]}.");
        return new LabProcess(process, command);
    }

    /// <summary>Waits until a printed line contains <paramref name="text"/>; false past the time limit or when the process ended first.</summary>
    public async Task<bool> WaitForLineAsync(string text, TimeSpan timeLimit)
    {
        var deadline = DateTime.UtcNow + timeLimit;
        while (DateTime.UtcNow < deadline)
        {
            if (Lines.Any(line => line.Contains(text, StringComparison.Ordinal)))
            {
                return true;
            }

            if (_process.HasExited)
            {
                // Output may still be draining after the exit.
                _process.WaitForExit();
                return Lines.Any(line => line.Contains(text, StringComparison.Ordinal));
            }

            await Task.Delay(20);
        }

        return false;
    }

    /// <summary>Ends the process at once (SIGKILL, as a power cut would) and waits for it.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            try
            {
                _process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // It ended between the check and the kill.
            }
        }

        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        await _process.WaitForExitAsync(deadline.Token);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await KillAsync();
        }
        finally
        {
            _process.Dispose();
        }
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_lock)
        {
            _lines.Add(line);
        }
    }
}
