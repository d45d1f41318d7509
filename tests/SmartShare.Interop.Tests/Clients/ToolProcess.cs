using System.Diagnostics;
using System.Globalization;

namespace SmartShare.Interop.Tests.Clients;

/// <summary>
/// A third-party program run by a fixture: its stdout and stderr lines are kept (and handed to an optional
/// callback) so a test can wait on them and show them when it fails; disposing kills the process tree.
/// Optionally samples the peak RssAnon (facts point 11: mapped page cache is not the client's memory).
/// </summary>
public sealed class ToolProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _output = [];
    private readonly Lock _lock = new();
    private readonly Action<string>? _onStandardOutput;
    private readonly Timer? _sampler;
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _peakRssAnonKib;

    private ToolProcess(Process process, string name, Action<string>? onStandardOutput, bool sampleMemory)
    {
        _process = process;
        Name = name;
        _onStandardOutput = onStandardOutput;
        process.Exited += (_, _) => _exited.TrySetResult();
        process.OutputDataReceived += (_, line) => Receive(line.Data, isError: false);
        process.ErrorDataReceived += (_, line) => Receive(line.Data, isError: true);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (process.HasExited)
        {
            _exited.TrySetResult();
        }

        if (sampleMemory)
        {
            _sampler = new Timer(_ => SampleMemory(), null, TimeSpan.Zero, TimeSpan.FromMilliseconds(100));
        }
    }

    public string Name { get; }

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Completes when the process has exited.</summary>
    public Task Exited => _exited.Task;

    public int ExitCode => _process.ExitCode;

    /// <summary>The highest RssAnon seen in /proc/PID/status so far, in KiB (0 unless sampling was asked for).</summary>
    public long PeakRssAnonKib => Interlocked.Read(ref _peakRssAnonKib);

    /// <summary>Every line printed so far, stderr lines prefixed with "! ".</summary>
    public IReadOnlyList<string> Output
    {
        get
        {
            lock (_lock)
            {
                return [.. _output];
            }
        }
    }

    /// <summary>The command line and the last lines of output, for failure messages.</summary>
    public string Describe(int lastLines = 60)
    {
        var output = Output;
        var shown = output.Skip(Math.Max(0, output.Count - lastLines));
        var state = _process.HasExited ? $"exited with {_process.ExitCode}" : "running";
        return $"--- {Name} (pid {_process.Id}, {state}), last {Math.Min(lastLines, output.Count)} of {output.Count} lines:\n{string.Join('\n', shown)}";
    }

    public static ToolProcess Start(
        string name,
        string fileName,
        IEnumerable<string> arguments,
        string? workingDirectory = null,
        Action<string>? onStandardOutput = null,
        bool redirectStandardInput = false,
        bool sampleMemory = false,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var startInfo = new ProcessStartInfo(fileName, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = redirectStandardInput,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Path.GetTempPath(),
        };
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            startInfo.Environment[key] = value;
        }

        var process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
        if (!process.Start())
        {
            process.Dispose();
            throw new InvalidOperationException($"Could not start {fileName}.");
        }

        return new ToolProcess(process, name, onStandardOutput, sampleMemory);
    }

    /// <summary>Writes one line to the process's stdin (started with redirectStandardInput).</summary>
    public void WriteLine(string line)
    {
        lock (_lock)
        {
            _process.StandardInput.WriteLine(line);
            _process.StandardInput.Flush();
        }
    }

    /// <summary>Waits for the process to exit and returns its exit code; past the limit it is killed and the test fails.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeLimit)
    {
        using var deadline = new CancellationTokenSource(timeLimit);
        try
        {
            await _process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            Kill();
            Assert.Fail($"{Name} did not exit within {timeLimit.TotalSeconds:0.#} s and was killed.\n{Describe()}");
        }

        // The asynchronous readers may still be delivering the last lines.
        await _process.WaitForExitAsync();
        return _process.ExitCode;
    }

    /// <summary>Waits for a line (stdout or stderr) matching <paramref name="predicate"/> and returns it.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> predicate, string what, TimeSpan timeLimit)
    {
        string? found = null;
        await Waiting.UntilAsync(
            () =>
            {
                found = Output.FirstOrDefault(predicate);
                if (found is null && _process.HasExited)
                {
                    Assert.Fail($"{Name} exited before {what}.\n{Describe()}");
                }

                return found is not null;
            },
            what,
            timeLimit,
            () => Describe());
        return found!;
    }

    /// <summary>
    /// Waits for <paramref name="task"/> (an event the process reports); fails the test, quoting the output, when the
    /// process exits first or <paramref name="timeLimit"/> passes. <paramref name="context"/>, read at that moment, is added to the message.
    /// </summary>
    public async Task WaitOrFailAsync(Task task, string what, TimeSpan timeLimit, Func<string>? context = null)
    {
        using var stop = new CancellationTokenSource();
        var first = await Task.WhenAny(task, Exited, Task.Delay(timeLimit, stop.Token));
        await stop.CancelAsync();
        if (first == task)
        {
            return;
        }

        var reason = first == Exited ? "exited" : $"timed out after {timeLimit.TotalSeconds:0.#} s";
        Assert.Fail($"Waiting until the {Name} {what}: it {reason}.{context?.Invoke()}\n{Describe()}");
    }

    /// <summary>Asks a script that reads JSON commands to quit (waiting up to 5 s), then disposes it.</summary>
    public async ValueTask QuitAndDisposeAsync()
    {
        if (!HasExited)
        {
            try
            {
                WriteLine("{\"cmd\":\"quit\"}");
                await Task.WhenAny(Exited, Task.Delay(TimeSpan.FromSeconds(5)));
            }
            catch (IOException)
            {
                // Its stdin is already closed.
            }
        }

        await DisposeAsync();
    }

    /// <summary>Sends a POSIX signal by name (HUP, TERM, INT).</summary>
    public async Task SignalAsync(string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("/bin/kill", ["-" + signal, _process.Id.ToString(CultureInfo.InvariantCulture)]))
            ?? throw new InvalidOperationException("Could not run kill.");
        await kill.WaitForExitAsync();
        Assert.True(kill.ExitCode == 0, $"kill -{signal} {_process.Id} failed.\n{Describe()}");
    }

    /// <summary>Sends SIGTERM and waits up to <paramref name="grace"/> for the process to exit, then kills it.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (!_process.HasExited)
        {
            await SignalAsync("TERM");
            await Task.WhenAny(Exited, Task.Delay(grace));
        }

        Kill();
        await Exited;
    }

    public void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    /// <summary>Kills the process tree (if still running) and waits up to 10 s for it to be gone.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_sampler is not null)
        {
            await _sampler.DisposeAsync();
        }

        Kill();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await _process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            // A zombie we cannot wait for; nothing more to do.
        }

        _process.Dispose();
    }

    private void Receive(string? line, bool isError)
    {
        if (line is null)
        {
            return;
        }

        lock (_lock)
        {
            _output.Add(isError ? "! " + line : line);
        }

        if (!isError)
        {
            _onStandardOutput?.Invoke(line);
        }
    }

    private void SampleMemory()
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
            {
                if (line.StartsWith("RssAnon:", StringComparison.Ordinal))
                {
                    var kib = long.Parse(line["RssAnon:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
                    long seen;
                    while (kib > (seen = Interlocked.Read(ref _peakRssAnonKib)))
                    {
                        Interlocked.CompareExchange(ref _peakRssAnonKib, kib, seen);
                    }

                    return;
                }
            }
        }
        catch (IOException)
        {
            // The process is gone.
        }
        catch (InvalidOperationException)
        {
        }
    }
}
