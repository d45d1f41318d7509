using System.CommandLine;
using SmartShare.Node;
using SmartShare.Node.Hosting;
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
        Description = $"A running node's API. Default: the node started on the data directory, else $SMARTSHARE_API, else the 'api' setting, else {NodeInfo.DefaultApiUrl}.",
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

    /// <summary>True when the data directory was chosen (--data-dir or the environment), not the default.</summary>
    public static bool IsDataDirectoryExplicit(ParseResult parse) =>
        !string.IsNullOrWhiteSpace(parse.GetValue(DataDir))
        || !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(DefaultPaths.DataDirectoryVariable));

    /// <summary>The API to talk to (<see cref="ResolveApi"/>).</summary>
    public static Uri ResolveApiUri(ParseResult parse, string dataDirectory) => ResolveApi(parse, dataDirectory).Uri;

    /// <summary>
    /// The API to talk to: --api, else the node started on the data directory (its <see cref="NodeFile"/>), else the
    /// settings of the data directory (SMARTSHARE_API, settings.json), else the default; and where it came from.
    /// </summary>
    public static (Uri Uri, ApiSource Source) ResolveApi(ParseResult parse, string dataDirectory)
    {
        var text = parse.GetValue(Api);
        if (!string.IsNullOrWhiteSpace(text))
        {
            return (ParseApiUrl(text), ApiSource.Flag);
        }

        if (NodeFile.Read(dataDirectory) is { } node)
        {
            return (node.Api, ApiSource.NodeFile);
        }

        return (ParseApiUrl(NodeSettingsStore.Load(dataDirectory).Current.Api), ApiSource.Settings);
    }

    public static Uri ParseApiUrl(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Uri.TryCreate(text.Trim(), UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttp
            ? uri
            : throw new FormatException($"--api takes an http URL such as {NodeInfo.DefaultApiUrl}, not '{text}'.");
    }
}

/// <summary>Where the API a command talks to came from.</summary>
internal enum ApiSource
{
    /// <summary>--api on the command line.</summary>
    Flag,

    /// <summary>The node file a started node wrote into the data directory.</summary>
    NodeFile,

    /// <summary>SMARTSHARE_API, settings.json or the default.</summary>
    Settings,
}
