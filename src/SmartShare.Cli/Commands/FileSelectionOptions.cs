using System.CommandLine;
using System.Text.Json.Nodes;
using SmartShare.Node.Torrents;

namespace SmartShare.Cli.Commands;

/// <summary>
/// The options of <c>files TRANSFER</c> that change a torrent's file selection (<c>--want</c>, <c>--skip</c>,
/// <c>--priority LEVEL:INDEXES</c>, <c>--sequential on|off</c>, <c>--first-last on|off</c>), read into the node's
/// <c>file_set_files</c> parameters; checked before the node is asked, so a typo is bad input.
/// </summary>
internal sealed class FileSelectionOptions
{
    private readonly Option<string?> _want = new("--want") { Description = "Download these files too (indexes as listed, e.g. 1,2 or 0-3).", HelpName = "INDEXES" };
    private readonly Option<string?> _skip = new("--skip") { Description = "Do not download these files; bytes already held stay.", HelpName = "INDEXES" };
    private readonly Option<string[]> _priority = new("--priority")
    {
        Description = "Set files' priority (repeatable): high, normal or low, a colon, indexes (e.g. high:4 or low:0-2). A priority makes a file wanted.",
        HelpName = "LEVEL:INDEXES",
    };

    private readonly Option<string?> _sequential = new("--sequential") { Description = "on: take pieces in order (for playing while downloading); off: rarest first.", HelpName = "on|off" };
    private readonly Option<string?> _firstLast = new("--first-last") { Description = "on: fetch each wanted file's first and last piece first (previews).", HelpName = "on|off" };

    public void AddTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        command.Options.Add(_want);
        command.Options.Add(_skip);
        command.Options.Add(_priority);
        command.Options.Add(_sequential);
        command.Options.Add(_firstLast);
    }

    /// <summary>The <c>file_set_files</c> parameters asked for (without the key), or null when none of the options was given.</summary>
    /// <exception cref="FormatException">An option's value is not of its form.</exception>
    public JsonObject? Read(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        var parameters = new JsonObject();
        var want = Indexes(parse.GetValue(_want), "--want");
        var skip = Indexes(parse.GetValue(_skip), "--skip");
        if (want is not null && skip is not null && want.Intersect(skip).ToList() is { Count: > 0 } both)
        {
            throw new FormatException($"File {FileSelectionRequest.Format(both)} is in both --want and --skip.");
        }

        Put(parameters, "wanted", want);
        Put(parameters, "unwanted", skip);
        var levels = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        foreach (var item in parse.GetValue(_priority) ?? [])
        {
            var colon = item.IndexOf(':', StringComparison.Ordinal);
            var level = colon > 0 ? item[..colon].Trim().ToLowerInvariant() : string.Empty;
            if (level is not ("high" or "normal" or "low"))
            {
                throw new FormatException($"--priority takes LEVEL:INDEXES with LEVEL high, normal or low (e.g. high:4), not '{Shorten(item)}'.");
            }

            var indexes = FileSelectionRequest.Parse(item[(colon + 1)..], "--priority " + level);
            if (skip?.Intersect(indexes).ToList() is { Count: > 0 } clash)
            {
                throw new FormatException($"File {FileSelectionRequest.Format(clash)} is skipped and given a priority; a priority makes a file wanted.");
            }

            levels.TryAdd(level, []);
            levels[level].AddRange(indexes);
        }

        foreach (var (level, indexes) in levels)
        {
            Put(parameters, "priority_" + level, indexes);
        }

        if (Switch(parse.GetValue(_sequential), "--sequential") is { } sequential)
        {
            parameters["sequential"] = sequential;
        }

        if (Switch(parse.GetValue(_firstLast), "--first-last") is { } firstLast)
        {
            parameters["first_last_piece"] = firstLast;
        }

        return parameters.Count == 0 ? null : parameters;
    }

    private static IReadOnlyList<int>? Indexes(string? text, string option) => text is null ? null : FileSelectionRequest.Parse(text, option);

    private static void Put(JsonObject parameters, string name, IReadOnlyList<int>? indexes)
    {
        if (indexes is not null)
        {
            parameters[name] = FileSelectionRequest.Format(indexes);
        }
    }

    private static bool? Switch(string? text, string option) => text?.Trim().ToLowerInvariant() switch
    {
        null => null,
        "on" or "true" or "yes" => true,
        "off" or "false" or "no" => false,
        _ => throw new FormatException($"{option} takes on or off, not '{Shorten(text)}'."),
    };

    private static string Shorten(string text) => text.Length <= 40 ? text : string.Concat(text.AsSpan(0, 40), "...");
}
