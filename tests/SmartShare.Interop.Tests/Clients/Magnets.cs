namespace SmartShare.Interop.Tests.Clients;

/// <summary>Reading and trimming magnet links (BEP 9) in tests, e.g. to take the peer address (x.pe) out of one.</summary>
public static class Magnets
{
    /// <summary>The decoded values of <paramref name="key"/> (e.g. "x.pe", "dht", "xt") in <paramref name="magnet"/>.</summary>
    public static IReadOnlyList<string> Values(string magnet, string key) =>
        [.. Parameters(magnet).Where(pair => pair.Key == key).Select(pair => pair.Value)];

    /// <summary>The values of <paramref name="key"/> as written, without percent-decoding (what libtorrent 2.0 reads for x.pe and dht=).</summary>
    public static IReadOnlyList<string> RawValues(string magnet, string key)
    {
        ArgumentNullException.ThrowIfNull(magnet);
        var query = magnet.IndexOf('?', StringComparison.Ordinal);
        Assert.True(magnet.StartsWith("magnet:", StringComparison.Ordinal) && query >= 0, $"Not a magnet link: {magnet}");
        return [.. magnet[(query + 1)..]
            .Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(part => part.Split('=', 2))
            .Where(pair => pair[0] == key)
            .Select(pair => pair.Length > 1 ? pair[1] : "")];
    }

    /// <summary><paramref name="magnet"/> without any of the parameters named in <paramref name="keys"/>.</summary>
    public static string Without(string magnet, params string[] keys)
    {
        ArgumentNullException.ThrowIfNull(magnet);
        var query = magnet.IndexOf('?', StringComparison.Ordinal);
        Assert.True(magnet.StartsWith("magnet:", StringComparison.Ordinal) && query >= 0, $"Not a magnet link: {magnet}");
        var kept = magnet[(query + 1)..]
            .Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Where(part => !keys.Contains(Uri.UnescapeDataString(part.Split('=', 2)[0])));
        return magnet[..(query + 1)] + string.Join('&', kept);
    }

    private static IEnumerable<KeyValuePair<string, string>> Parameters(string magnet)
    {
        ArgumentNullException.ThrowIfNull(magnet);
        var query = magnet.IndexOf('?', StringComparison.Ordinal);
        Assert.True(magnet.StartsWith("magnet:", StringComparison.Ordinal) && query >= 0, $"Not a magnet link: {magnet}");
        foreach (var part in magnet[(query + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var pair = part.Split('=', 2);
            yield return new(Uri.UnescapeDataString(pair[0]), pair.Length > 1 ? Uri.UnescapeDataString(pair[1].Replace('+', ' ')) : "");
        }
    }
}
