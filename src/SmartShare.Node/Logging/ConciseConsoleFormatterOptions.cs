using Microsoft.Extensions.Logging.Console;

namespace SmartShare.Node.Logging;

public sealed class ConciseConsoleFormatterOptions : ConsoleFormatterOptions
{
    /// <summary>Print whole exceptions (the CLI's --verbose); otherwise only their message.</summary>
    public bool IncludeStackTraces { get; set; }
}
