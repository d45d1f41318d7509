using System.Diagnostics;

namespace SmartShare.Tests.Shared;

/// <summary>What a finished lab command printed and how it exited.</summary>
internal sealed record LabCommandResult(IReadOnlyList<string> Command, int ExitCode, string Output, string Error)
{
    public bool Succeeded => ExitCode == 0;

    public override string ToString() => $"`{string.Join(' ', Command)}` exited with {ExitCode}\n{Output}{Error}";
}

/// <summary>Runs the short commands that build and inspect a <see cref="NatLab"/> (ip, nft, kill), each with a time limit.</summary>
internal static class LabCommand
{
    public static readonly TimeSpan DefaultTimeLimit = TimeSpan.FromSeconds(30);

    public static async Task<LabCommandResult> RunAsync(IReadOnlyList<string> command, TimeSpan? timeLimit = null, string? standardInput = null)
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

        using var process = Process.Start(startInfo) ?? throw new InvalidOperationException($"Could not start {command[0]}.");
        if (standardInput is not null)
        {
            await process.StandardInput.WriteAsync(standardInput);
        }

        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(timeLimit ?? DefaultTimeLimit);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            return new LabCommandResult(command, -1, await output, await error + $"\n(killed after {(timeLimit ?? DefaultTimeLimit).TotalSeconds} s)");
        }

        return new LabCommandResult(command, process.ExitCode, await output, await error);
    }

    /// <summary>Runs a command and throws with its output when it fails.</summary>
    public static async Task<LabCommandResult> CheckAsync(IReadOnlyList<string> command, string? standardInput = null)
    {
        var result = await RunAsync(command, standardInput: standardInput);
        if (!result.Succeeded)
        {
            throw new InvalidOperationException("The NAT lab could not be built: " + result);
        }

        return result;
    }
}
