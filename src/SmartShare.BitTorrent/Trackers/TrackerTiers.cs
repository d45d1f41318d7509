using System.Buffers.Binary;

namespace SmartShare.BitTorrent.Trackers;

/// <summary>
/// A torrent's trackers in BEP 12 tiers: each tier shuffled once, tried tier by tier, and a tracker that answers
/// moved to the front of its tier. Safe to use from several threads.
/// </summary>
public sealed class TrackerTiers
{
    private readonly List<List<Uri>> _tiers;
    private readonly Lock _lock = new();

    public TrackerTiers(IReadOnlyList<IReadOnlyList<Uri>> tiers, IRandomSource random)
    {
        ArgumentNullException.ThrowIfNull(tiers);
        ArgumentNullException.ThrowIfNull(random);
        _tiers = [];
        foreach (var tier in tiers)
        {
            if (tier is null || tier.Count == 0)
            {
                continue;
            }

            var copy = tier.ToList();
            Shuffle(copy, random);
            _tiers.Add(copy);
        }
    }

    /// <summary>The tiers as they are tried now (each tracker that answered first in its tier).</summary>
    public IReadOnlyList<IReadOnlyList<Uri>> Tiers
    {
        get
        {
            lock (_lock)
            {
                return [.. _tiers.Select(tier => (IReadOnlyList<Uri>)[.. tier])];
            }
        }
    }

    /// <summary>How many trackers there are in all.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _tiers.Sum(t => t.Count);
            }
        }
    }

    /// <summary>
    /// The tiers of a torrent: its announce-list when that holds any usable URL, else its announce URL alone.
    /// URLs that do not parse or whose scheme is not http, https or udp are skipped, and each URL is kept once.
    /// </summary>
    public static IReadOnlyList<IReadOnlyList<Uri>> FromTorrent(string? announce, IReadOnlyList<IReadOnlyList<string>> announceList)
    {
        var seen = new HashSet<Uri>();
        var tiers = new List<IReadOnlyList<Uri>>();
        foreach (var tier in announceList ?? [])
        {
            var uris = new List<Uri>();
            foreach (var text in tier ?? [])
            {
                if (TryParse(text, out var uri) && seen.Add(uri))
                {
                    uris.Add(uri);
                }
            }

            if (uris.Count > 0)
            {
                tiers.Add(uris);
            }
        }

        if (tiers.Count == 0 && TryParse(announce, out var single))
        {
            tiers.Add([single]);
        }

        return tiers;
    }

    /// <summary>Every tracker, tier by tier, each tier in its current order.</summary>
    public IEnumerable<Uri> InOrder()
    {
        lock (_lock)
        {
            return _tiers.SelectMany(t => t).ToArray();
        }
    }

    /// <summary>The tiers as they stand now.</summary>
    public IReadOnlyList<IReadOnlyList<Uri>> Snapshot()
    {
        lock (_lock)
        {
            return _tiers.Select(t => (IReadOnlyList<Uri>)t.ToArray()).ToArray();
        }
    }

    /// <summary>Moves <paramref name="uri"/> to the front of its tier (BEP 12); a URL not in the tiers is ignored.</summary>
    public void Succeeded(Uri uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        lock (_lock)
        {
            foreach (var tier in _tiers)
            {
                var index = tier.IndexOf(uri);
                if (index > 0)
                {
                    tier.RemoveAt(index);
                    tier.Insert(0, uri);
                }

                if (index >= 0)
                {
                    return;
                }
            }
        }
    }

    private static bool TryParse(string? text, out Uri uri)
    {
        if (!string.IsNullOrWhiteSpace(text) && Uri.TryCreate(text.Trim(), UriKind.Absolute, out var parsed)
            && TrackerClientFactory.IsSupported(parsed) && !string.IsNullOrEmpty(parsed.Host))
        {
            uri = parsed;
            return true;
        }

        uri = null!;
        return false;
    }

    private static void Shuffle(List<Uri> list, IRandomSource random)
    {
        Span<byte> bytes = stackalloc byte[4];
        for (var i = list.Count - 1; i > 0; i--)
        {
            random.Fill(bytes);
            var j = (int)(BinaryPrimitives.ReadUInt32LittleEndian(bytes) % (uint)(i + 1));
            (list[i], list[j]) = (list[j], list[i]);
        }
    }
}
