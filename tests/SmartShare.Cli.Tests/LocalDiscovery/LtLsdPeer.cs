using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SmartShare.Cli.Tests.LocalDiscovery;

/// <summary>libtorrent 2.0 with local service discovery on (lt_lsd.py), run inside a test's namespace.</summary>
internal sealed class LtLsdPeer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<JsonElement> _events = [];
    private readonly List<string> _errors = [];

    private LtLsdPeer(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, line) =>
        {
            if (line.Data is { Length: > 0 } text && text.StartsWith('{'))
            {
                lock (_events)
                {
                    _events.Add(JsonDocument.Parse(text).RootElement.Clone());
                }
            }
        };
        _process.ErrorDataReceived += (_, line) =>
        {
            if (line.Data is { } text)
            {
                lock (_events)
                {
                    _errors.Add(text);
                }
            }
        };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <param name="peers">Peers to connect to besides those local discovery finds ("ADDRESS:PORT").</param>
    public static LtLsdPeer Start(IReadOnlyList<string> launcher, bool seed, string torrent, string savePath, string listen, IReadOnlyList<string>? peers = null)
    {
        var script = Path.Combine(AppContext.BaseDirectory, "LocalDiscovery", "lt_lsd.py");
        var start = new ProcessStartInfo(launcher[0]) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var part in launcher.Skip(1))
        {
            start.ArgumentList.Add(part);
        }

        start.ArgumentList.Add("/usr/bin/python3");
        start.ArgumentList.Add(script);
        start.ArgumentList.Add(new JsonObject
        {
            ["mode"] = seed ? "seed" : "download",
            ["torrent"] = torrent,
            ["save_path"] = savePath,
            ["listen"] = listen,
            ["peers"] = new JsonArray([.. (peers ?? []).Select(peer => (JsonNode?)peer)]),
        }.ToJsonString());
        return new LtLsdPeer(Process.Start(start) ?? throw new InvalidOperationException("Could not start python3."));
    }

    /// <summary>Waits for an event of <paramref name="kind"/> that <paramref name="matches"/>; fails on a fatal error or past the time limit.</summary>
    public async Task<JsonElement> WaitForAsync(string kind, TimeSpan timeLimit, Func<JsonElement, bool>? matches = null)
    {
        var deadline = DateTime.UtcNow + timeLimit;
        while (true)
        {
            lock (_events)
            {
                var fatal = _events.FirstOrDefault(e => e.GetProperty("event").GetString() == "error");
                Assert.True(fatal.ValueKind == JsonValueKind.Undefined, $"libtorrent: {fatal}\n{Describe()}");
                var found = _events.FirstOrDefault(e => e.GetProperty("event").GetString() == kind && (matches is null || matches(e)));
                if (found.ValueKind != JsonValueKind.Undefined)
                {
                    return found;
                }
            }

            Assert.False(_process.HasExited, $"libtorrent exited before '{kind}':\n{Describe()}");
            Assert.True(DateTime.UtcNow < deadline, $"libtorrent gave no '{kind}' within {timeLimit.TotalSeconds} s:\n{Describe()}");
            await Task.Delay(100);
        }
    }

    public string Describe()
    {
        lock (_events)
        {
            return string.Join('\n', _events.TakeLast(15).Select(e => e.ToString()).Concat(_errors.TakeLast(15)));
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.StandardInput.Close();
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await _process.WaitForExitAsync(grace.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }

        _process.Dispose();
    }
}
