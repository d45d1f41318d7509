using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using SmartShare.BitTorrent.Engine;
using SmartShare.BitTorrent.Metainfo;

namespace SmartShare.Node.Torrents;

/// <summary>
/// A change to a torrent's file selection, as the API, the CLI and the Transmission RPC ask it: <see cref="Only"/>
/// (get --files: these files and no others), <see cref="Wanted"/> and <see cref="Unwanted"/> (files switched on or
/// off, the others kept), priorities for files (which also makes them wanted), and the sequential and first/last-piece
/// switches. File indices count from 0 in the torrent's order.
/// </summary>
public sealed record FileSelectionRequest(
    IReadOnlyList<int>? Only = null,
    IReadOnlyList<int>? Wanted = null,
    IReadOnlyList<int>? Unwanted = null,
    IReadOnlyList<int>? High = null,
    IReadOnlyList<int>? Normal = null,
    IReadOnlyList<int>? Low = null,
    bool? Sequential = null,
    bool? FirstLastPiece = null,
    bool WantAll = false)
{
    /// <summary>Whether the request changes nothing.</summary>
    public bool IsEmpty =>
        !WantAll && Only is null && Wanted is null && Unwanted is null && High is null && Normal is null && Low is null && Sequential is null && FirstLastPiece is null;

    /// <summary>
    /// The selection after this change. With <paramref name="strict"/> an index past the last file is an error
    /// (<see cref="ArgumentException"/> naming it); otherwise (a magnet's request, made before its files were known)
    /// it is left out.
    /// </summary>
    public FileSelection Apply(FileSelection? current, int fileCount, bool strict = true)
    {
        var priorities = (current?.Priorities ?? FileSelection.All(fileCount).Priorities).ToArray();
        if (priorities.Length != fileCount)
        {
            priorities = [.. FileSelection.All(fileCount).Priorities];
        }

        IEnumerable<int> Valid(IReadOnlyList<int>? indexes, string name)
        {
            foreach (var index in indexes ?? [])
            {
                if (index < fileCount)
                {
                    yield return index;
                }
                else if (strict)
                {
                    throw new ArgumentException(
                        $"The torrent has {fileCount} file{(fileCount == 1 ? "" : "s")} (indexes 0 to {fileCount - 1}); {name} names file {index}.");
                }
            }
        }

        if (Only is not null)
        {
            var keep = Valid(Only, "files").ToHashSet();
            for (var i = 0; i < fileCount; i++)
            {
                priorities[i] = keep.Contains(i)
                    ? (priorities[i] == TorrentFilePriority.Off ? TorrentFilePriority.Normal : priorities[i])
                    : TorrentFilePriority.Off;
            }
        }

        for (var i = 0; WantAll && i < fileCount; i++)
        {
            priorities[i] = priorities[i] == TorrentFilePriority.Off ? TorrentFilePriority.Normal : priorities[i];
        }

        foreach (var i in Valid(Wanted, "wanted"))
        {
            priorities[i] = priorities[i] == TorrentFilePriority.Off ? TorrentFilePriority.Normal : priorities[i];
        }

        foreach (var i in Valid(Unwanted, "unwanted"))
        {
            priorities[i] = TorrentFilePriority.Off;
        }

        foreach (var (list, name, priority) in new[] { (Low, "priority_low", TorrentFilePriority.Low), (Normal, "priority_normal", TorrentFilePriority.Normal), (High, "priority_high", TorrentFilePriority.High) })
        {
            foreach (var i in Valid(list, name))
            {
                priorities[i] = priority;
            }
        }

        return new FileSelection(priorities, Sequential ?? current?.Sequential ?? false, FirstLastPiece ?? current?.FirstLastPiece ?? false);
    }

    /// <summary>
    /// File indexes from the API: a string such as <c>"0,2-5"</c> or a JSON array of whole numbers.
    /// </summary>
    /// <exception cref="FormatException">Not such a list; the sentence names <paramref name="name"/>.</exception>
    public static IReadOnlyList<int>? Read(JsonNode? node, string name)
    {
        if (node is null)
        {
            return null;
        }

        if (node is JsonArray array)
        {
            if (array.Count > TorrentLimits.MaxFiles)
            {
                throw new FormatException($"'{name}' lists {array.Count} files; a torrent has at most {TorrentLimits.MaxFiles}.");
            }

            var list = new List<int>(array.Count);
            foreach (var item in array)
            {
                if (item is not JsonValue value || value.GetValueKind() != JsonValueKind.Number || !value.TryGetValue<int>(out var index) || index < 0 || index >= TorrentLimits.MaxFiles)
                {
                    throw new FormatException($"'{name}' must hold file indexes (whole numbers from 0 to {TorrentLimits.MaxFiles - 1}), not {Shorten(item?.ToJsonString() ?? "null")}.");
                }

                list.Add(index);
            }

            return [.. list.Distinct().Order()];
        }

        if (node is JsonValue text && text.GetValueKind() == JsonValueKind.String)
        {
            return Parse(text.GetValue<string>(), name);
        }

        throw new FormatException($"'{name}' must be file indexes as a string (\"0,2-5\") or an array ([0, 2, 3]), not {Shorten(node.ToJsonString())}.");
    }

    /// <summary>Indexes written as <c>"0,2-5"</c> (commas, ranges with a dash, spaces allowed; empty means none).</summary>
    /// <exception cref="FormatException">Not such a list.</exception>
    public static IReadOnlyList<int> Parse(string text, string name)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length > 100_000)
        {
            throw new FormatException($"'{name}' is {text.Length} characters long; write ranges (\"0-99\") instead of long lists.");
        }

        var set = new SortedSet<int>();
        foreach (var raw in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var dash = raw.IndexOf('-', 1 < raw.Length ? 1 : 0);
            var (first, last) = dash > 0 ? (raw[..dash].Trim(), raw[(dash + 1)..].Trim()) : (raw, raw);
            if (!int.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out var from)
                || !int.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out var to)
                || from >= TorrentLimits.MaxFiles || to >= TorrentLimits.MaxFiles)
            {
                throw new FormatException(
                    $"'{name}' must be file indexes such as \"0,2-5\" (whole numbers from 0 to {TorrentLimits.MaxFiles - 1}); \"{Shorten(raw)}\" is not one.");
            }

            if (to < from)
            {
                throw new FormatException($"'{name}': the range \"{Shorten(raw)}\" runs backwards; write it as \"{to}-{from}\".");
            }

            for (var i = from; i <= to; i++)
            {
                set.Add(i);
            }
        }

        return [.. set];
    }

    /// <summary>Indexes as the shortest <c>"0,2-5"</c> form.</summary>
    public static string Format(IEnumerable<int> indexes)
    {
        ArgumentNullException.ThrowIfNull(indexes);
        var sorted = indexes.Distinct().Order().ToList();
        var parts = new List<string>();
        for (var i = 0; i < sorted.Count;)
        {
            var j = i;
            while (j + 1 < sorted.Count && sorted[j + 1] == sorted[j] + 1)
            {
                j++;
            }

            parts.Add(i == j ? sorted[i].ToString(CultureInfo.InvariantCulture) : FormattableString.Invariant($"{sorted[i]}-{sorted[j]}"));
            i = j + 1;
        }

        return string.Join(',', parts);
    }

    internal string ToStored() => new JsonObject
    {
        ["only"] = Only is null ? null : Format(Only),
        ["wanted"] = Wanted is null ? null : Format(Wanted),
        ["unwanted"] = Unwanted is null ? null : Format(Unwanted),
        ["high"] = High is null ? null : Format(High),
        ["normal"] = Normal is null ? null : Format(Normal),
        ["low"] = Low is null ? null : Format(Low),
        ["sequential"] = Sequential,
        ["first_last"] = FirstLastPiece,
        ["all"] = WantAll,
    }.ToJsonString();

    internal static FileSelectionRequest? FromStored(string text)
    {
        try
        {
            if (JsonNode.Parse(text) is not JsonObject json)
            {
                return null;
            }

            IReadOnlyList<int>? List(string name) => json[name] is { } node ? Read(node, name) : null;
            return new FileSelectionRequest(
                List("only"), List("wanted"), List("unwanted"), List("high"), List("normal"), List("low"),
                json["sequential"]?.GetValue<bool>(), json["first_last"]?.GetValue<bool>(), json["all"]?.GetValue<bool>() ?? false);
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException)
        {
            return null; // a row this release cannot read is as good as none
        }
    }

    private static string Shorten(string text) => text.Length <= 40 ? text : string.Concat(text.AsSpan(0, 40), "...");
}
