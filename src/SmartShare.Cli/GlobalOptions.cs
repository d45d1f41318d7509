using System.CommandLine;
using SmartShare.Node;
using SmartShare.Node.Settings;

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

    public static Option<string?> Api { get; } = new("--api")
    {
        Description = $"A running node's API. Default: $SMARTSHARE_API, else the 'api' setting in the data directory, else {NodeInfo.DefaultApiUrl}.",
        HelpName = "URL",
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
        root.Options.Add(Api);
        root.Options.Add(Json);
        root.Options.Add(Verbose);
    }

    public static string ResolveDataDirectory(ParseResult parse)
    {
        var explicitDirectory = parse.GetValue(DataDir);
        return string.IsNullOrWhiteSpace(explicitDirectory) ? DefaultPaths.DataDirectory() : Path.GetFullPath(explicitDirectory);
    }

    /// <summary>The API to talk to: --api, else the settings of the data directory (SMARTSHARE_API, settings.json), else the default.</summary>
    public static Uri ResolveApiUri(ParseResult parse, string dataDirectory)
    {
        var text = parse.GetValue(Api);
        if (string.IsNullOrWhiteSpace(text))
        {
            text = NodeSettingsStore.Load(dataDirectory).Current.Api;
        }

        return ParseApiUrl(text);
    }

    public static Uri ParseApiUrl(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Uri.TryCreate(text.Trim(), UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttp
            ? uri
            : throw new FormatException($"--api takes an http URL such as {NodeInfo.DefaultApiUrl}, not '{text}'.");
    }
}
