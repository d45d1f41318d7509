using System.Diagnostics;
using System.Text.Json;
using Xunit.Abstractions;

namespace SmartShare.Node.Tests.Reachability.Upnp;

/// <summary>
/// The UPnP client running in a lab namespace: SmartShare.Upnp.Probe.dll (copied next to this assembly by the
/// project reference) under <c>ip netns exec</c>, one command in and one JSON answer out, each with a time limit.
/// </summary>
public sealed class UpnpProbe : IDisposable
{
    private static readonly TimeSpan AnswerLimit = TimeSpan.FromSeconds(60);
    private readonly Process _process;
    private readonly ITestOutputHelper _output;
    private readonly string _netns;

    public UpnpProbe(string netns, ITestOutputHelper output, params string[] options)
    {
        _netns = netns;
        _output = output;
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        var start = new ProcessStartInfo("ip")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var part in (string[])["netns", "exec", netns, string.IsNullOrEmpty(host) ? "dotnet" : host, Path.Combine(AppContext.BaseDirectory, "SmartShare.Upnp.Probe.dll"), .. options])
        {
            start.ArgumentList.Add(part);
        }

        start.Environment["DOTNET_NOLOGO"] = "1";
        _process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the UPnP probe.");
        _process.ErrorDataReceived += (_, line) =>
        {
            if (line.Data is not null)
            {
                try
                {
                    _output.WriteLine($"[{_netns}] {line.Data}");
                }
                catch (InvalidOperationException)
                {
                    // The test already ended.
                }
            }
        };
        _process.BeginErrorReadLine();
    }

    /// <summary>Sends one command and returns its answer; fails the test when none comes within the limit.</summary>
    public async Task<JsonElement> SendAsync(string command)
    {
        await _process.StandardInput.WriteLineAsync(command);
        await _process.StandardInput.FlushAsync();
        using var limit = new CancellationTokenSource(AnswerLimit);
        var line = await _process.StandardOutput.ReadLineAsync(limit.Token)
            ?? throw new InvalidOperationException($"The probe in {_netns} exited before answering \"{command}\".");
        _output.WriteLine($"[{_netns}] {command} -> {line}");
        return JsonDocument.Parse(line).RootElement.Clone();
    }

    /// <summary>Sends a command that must succeed.</summary>
    public async Task<JsonElement> MustAsync(string command)
    {
        var answer = await SendAsync(command);
        Assert.True(answer.GetProperty("ok").GetBoolean(), $"\"{command}\" failed in {_netns}: {answer}");
        return answer;
    }

    public void Dispose()
    {
        try
        {
            _process.StandardInput.WriteLine("quit");
            _process.StandardInput.Close();
        }
        catch (IOException)
        {
        }

        if (!_process.WaitForExit(10_000))
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }

        _process.Dispose();
    }
}
