using System.Diagnostics;

namespace SmartShare.Cli.Tests.NetworkFaults;

/// <summary>
/// A long-running helper (libtorrent's lt_peer.py, tcp_flow.py) inside one host of a <see cref="FaultLab"/>: its output
/// lines are kept for waiting on and for the test log; disposing closes its input and kills it if it does not exit.
/// </summary>
internal sealed class LabProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Lock _lock = new();
    private readonly List<string> _lines = [];
    private readonly string _name;

    private LabProcess(string name, Process process, Action<string>? onLine)
    {
        _name = name;
        _process = process;
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            lock (_lock)
            {
                _lines.Add(e.Data);
            }

            onLine?.Invoke(e.Data);
        };
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (_lock)
                {
                    _lines.Add("stderr: " + e.Data);
                }
            }
        };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public bool HasExited => _process.HasExited;

    /// <summary>Starts <paramref name="command"/> inside host <paramref name="host"/> with <paramref name="environment"/> added.</summary>
    public static LabProcess Start(
        FaultLab lab, int host, string name, IEnumerable<string> command, IReadOnlyDictionary<string, string>? environment = null, Action<string>? onLine = null)
    {
        var start = new ProcessStartInfo("ip") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var part in lab.Launcher(host).Skip(1))
        {
            start.ArgumentList.Add(part);
        }

        start.ArgumentList.Add("env");
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.ArgumentList.Add($"{key}={value}");
        }

        foreach (var part in command)
        {
            start.ArgumentList.Add(part);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {name}.");
        return new LabProcess(name, process, onLine);
    }

    /// <summary>Waits for a line <paramref name="match"/> accepts and returns it; throws with the output when time runs out or the process exits.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, string what, TimeSpan timeLimit)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            lock (_lock)
            {
                if (_lines.FirstOrDefault(match) is { } found)
                {
                    return found;
                }
            }

            if (clock.Elapsed > timeLimit || _process.HasExited)
            {
                throw new TimeoutException($"{_name} did not {what} within {timeLimit.TotalSeconds:0} s{(_process.HasExited ? " (it exited)" : "")}. {Describe()}");
            }

            await Task.Delay(50);
        }
    }

    public void WriteLine(string line)
    {
        try
        {
            _process.StandardInput.WriteLine(line);
            _process.StandardInput.Flush();
        }
        catch (IOException)
        {
            // It exited already.
        }
    }

    /// <summary>The last lines it printed, for a failure message.</summary>
    public string Describe()
    {
        lock (_lock)
        {
            return $"Last output of {_name}:\n" + string.Join('\n', _lines.Where(line => !line.Contains("\"progress\"", StringComparison.Ordinal) || line == _lines[^1]).TakeLast(25));
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            _process.StandardInput.Close();
        }
        catch (IOException)
        {
        }

        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await _process.WaitForExitAsync(grace.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
