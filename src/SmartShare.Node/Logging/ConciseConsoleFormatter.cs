using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace SmartShare.Node.Logging;

/// <summary>
/// One line per message, shaped like the CLI's own output: plain text for information, "warning: " and
/// "error: " prefixes otherwise; an exception adds its message, or its stack trace with --verbose.
/// </summary>
public sealed class ConciseConsoleFormatter : ConsoleFormatter
{
    public const string FormatterName = "smartshare-concise";

    private readonly IOptionsMonitor<ConciseConsoleFormatterOptions> _options;

    public ConciseConsoleFormatter(IOptionsMonitor<ConciseConsoleFormatterOptions> options)
        : base(FormatterName)
    {
        _options = options;
    }

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        ArgumentNullException.ThrowIfNull(textWriter);
        var message = logEntry.Formatter?.Invoke(logEntry.State, logEntry.Exception) ?? string.Empty;
        var prefix = logEntry.LogLevel switch
        {
            LogLevel.Warning => "warning: ",
            LogLevel.Error or LogLevel.Critical => "error: ",
            _ => string.Empty,
        };
        textWriter.Write(prefix);
        textWriter.Write(message.ReplaceLineEndings(" "));
        if (logEntry.Exception is { } exception)
        {
            if (_options.CurrentValue.IncludeStackTraces)
            {
                textWriter.WriteLine();
                textWriter.Write(exception.ToString());
            }
            else if (!message.Contains(exception.Message, StringComparison.Ordinal))
            {
                textWriter.Write(" (");
                textWriter.Write(exception.Message.ReplaceLineEndings(" "));
                textWriter.Write(')');
            }
        }

        textWriter.WriteLine();
    }
}
