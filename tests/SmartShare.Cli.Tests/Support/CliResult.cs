using System.Text;
using System.Text.Json;

namespace SmartShare.Cli.Tests.Support;

/// <summary>What one run of the smartshare command left behind: its exit code and both output streams.</summary>
public sealed class CliResult(IReadOnlyList<string> arguments, int exitCode, string standardOutput, string standardError)
{
    public IReadOnlyList<string> Arguments { get; } = arguments;

    public int ExitCode { get; } = exitCode;

    public string StandardOutput { get; } = standardOutput;

    public string StandardError { get; } = standardError;

    /// <summary>Stdout split into lines, without the empty string after the final newline.</summary>
    public IReadOnlyList<string> OutputLines => SplitLines(StandardOutput);

    public IReadOnlyList<string> ErrorLines => SplitLines(StandardError);

    /// <summary>The last line of stdout parsed as JSON (the --json contract puts the object there).</summary>
    public JsonElement LastLineAsJson()
    {
        var lines = OutputLines;
        if (lines.Count == 0)
        {
            Assert.Fail($"Expected a JSON object on stdout but there was nothing.\n{this}");
        }

        try
        {
            using var document = JsonDocument.Parse(lines[^1]);
            return document.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            Assert.Fail($"The last stdout line is not JSON ({ex.Message}).\n{this}");
            throw;
        }
    }

    /// <summary>Asserts the exit code and, in JSON mode, that stdout is exactly one line holding one object.</summary>
    public JsonElement ShouldSucceedWithJson()
    {
        ShouldExitWith(0);
        return SingleJsonObject();
    }

    /// <summary>
    /// Asserts a failure as --json reports it: the exit code, exactly one stdout line holding
    /// {"error":{"kind","message"}}, the same message as an "error: " line on stderr, no stack trace.
    /// Returns the message.
    /// </summary>
    public string ShouldFailWith(int expectedExitCode, string expectedKind)
    {
        ShouldExitWith(expectedExitCode);
        var json = SingleJsonObject();
        if (!json.TryGetProperty("error", out var error) || error.ValueKind != JsonValueKind.Object)
        {
            Assert.Fail($"Expected an \"error\" object on stdout.\n{this}");
        }

        Assert.True(
            error.GetProperty("kind").GetString() == expectedKind,
            $"Expected error kind '{expectedKind}' but got '{error.GetProperty("kind")}'.\n{this}");
        var message = error.GetProperty("message").GetString();
        Assert.False(string.IsNullOrWhiteSpace(message), $"The error message is empty.\n{this}");
        Assert.True(ErrorLines.Contains("error: " + message), $"Expected the message as an 'error: ' line on stderr.\n{this}");
        ShouldShowNoStackTrace();
        return message!;
    }

    public void ShouldExitWith(int expected)
    {
        if (ExitCode != expected)
        {
            Assert.Fail($"Expected exit code {expected} but got {ExitCode}.\n{this}");
        }
    }

    public void ShouldShowNoStackTrace()
    {
        var traceLine = ErrorLines.Concat(OutputLines).FirstOrDefault(
            line => line.TrimStart().StartsWith("at ", StringComparison.Ordinal) && line.Contains('(', StringComparison.Ordinal));
        Assert.True(traceLine is null, $"Found a stack trace line without --verbose: {traceLine}\n{this}");
    }

    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append("smartshare ").AppendJoin(' ', Arguments).AppendLine();
        text.Append("exit code: ").Append(ExitCode).AppendLine();
        text.AppendLine("--- stdout ---").AppendLine(StandardOutput.TrimEnd());
        text.AppendLine("--- stderr ---").AppendLine(StandardError.TrimEnd());
        return text.ToString();
    }

    private JsonElement SingleJsonObject()
    {
        Assert.True(OutputLines.Count == 1, $"Expected exactly one line on stdout but got {OutputLines.Count}.\n{this}");
        var json = LastLineAsJson();
        Assert.True(json.ValueKind == JsonValueKind.Object, $"Expected a JSON object on stdout.\n{this}");
        return json;
    }

    private static List<string> SplitLines(string text)
    {
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n').ToList();
        if (lines.Count > 0 && lines[^1].Length == 0)
        {
            lines.RemoveAt(lines.Count - 1);
        }

        return lines;
    }
}
