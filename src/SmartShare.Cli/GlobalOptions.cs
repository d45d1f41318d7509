using System.CommandLine;

namespace SmartShare.Cli;

/// <summary>The options every command takes (DESIGN.md, "The command line").</summary>
internal static class GlobalOptions
{
    public static Option<string?> DataDir { get; } = new("--data-dir")
    {
        Description = $"Data directory (blobs and database). Default: ${DefaultPaths.DataDirectoryVariable}, else $XDG_DATA_HOME/smartshare, else ~/.local/share/smartshare.",
        HelpName = "DIR",
        Recursive = true,
    };

    public static Option<bool> Json { get; } = new("--json")
    {
        Description = "Print exactly one JSON object on stdout (the last line), for scripts.",
        Recursive = true,
    };

    public static Option<bool> Verbose { get; } = new("--verbose")
    {
        Description = "Show details, including stack traces of unexpected errors.",
        Recursive = true,
    };

    public static void AddTo(Command root)
    {
        root.Options.Add(DataDir);
        root.Options.Add(Json);
        root.Options.Add(Verbose);
    }

    public static string ResolveDataDirectory(ParseResult parse)
    {
        var explicitDirectory = parse.GetValue(DataDir);
        return string.IsNullOrWhiteSpace(explicitDirectory) ? DefaultPaths.DataDirectory() : Path.GetFullPath(explicitDirectory);
    }
}
