using System.Globalization;
using System.Net;
using SmartShare.Networking;

namespace SmartShare.Node.LocalDiscovery;

/// <summary>Sends datagrams to the local-discovery groups (the real <see cref="MulticastChannel"/>, or a test's fake).</summary>
internal interface ILanTransport
{
    /// <summary>Sends the IPv4 datagrams to the IPv4 group and the IPv6 ones to the IPv6 group; returns how many went out.</summary>
    int Send(IReadOnlyList<byte[]> ipv4, IReadOnlyList<byte[]> ipv6);
}

/// <summary>
/// The part of local discovery both networks share: a schedule of the hashes to announce (each at once when
/// added, then every <see cref="Interval"/>, at most <see cref="MaxHashesPerTick"/> per tick so a thousand torrents
/// do not burst out at once), a random cookie so our own announces coming back are ignored, and for datagrams
/// received a per-source cap (<see cref="DatagramsPerSecondPerSource"/>) before the hostile-input-safe decoder.
/// Ticks come from <see cref="Tick"/>, which the owner drives from a <see cref="TimeProvider"/> timer.
/// </summary>
internal sealed class LanDiscoveryEngine
{
    public const double DatagramsPerSecondPerSource = 5;
    public const int BurstPerSource = 20;
    public const int MaxHashesPerTick = 64;

    private readonly LanAnnounceFormat _format;
    private readonly ILanTransport _transport;
    private readonly TimeProvider _time;
    private readonly Func<int> _port;
    private readonly Dictionary<string, DateTimeOffset> _due = new(StringComparer.Ordinal);
    private readonly SourceRateLimiter _limiter;
    private readonly Lock _gate = new();
    private long _sent;
    private long _received;
    private long _malformed;
    private long _rateLimited;
    private long _own;

    public LanDiscoveryEngine(LanAnnounceFormat format, ILanTransport transport, TimeProvider time, IRandomSource random, TimeSpan interval, Func<int> port)
    {
        _format = format;
        _transport = transport;
        _time = time;
        _port = port;
        Interval = interval;
        Span<byte> bytes = stackalloc byte[4];
        random.Fill(bytes);
        Cookie = (BitConverter.ToUInt32(bytes) & 0x7fffffff).ToString("x", CultureInfo.InvariantCulture);
        _limiter = new SourceRateLimiter(time, DatagramsPerSecondPerSource, BurstPerSource, maxSources: 256);
    }

    public TimeSpan Interval { get; }

    /// <summary>Hex digits sent in every announce's <c>cookie</c> header.</summary>
    public string Cookie { get; }

    /// <summary>Extra headers each announce carries after the port (the LBRY DHT port, for one).</summary>
    public Func<IReadOnlyList<KeyValuePair<string, string>>> ExtraHeaders { get; init; } = static () => [];

    /// <summary>Called with each well-formed announce from another node (never our own), past the per-source cap.</summary>
    public Action<LanAnnounce, IPEndPoint>? OnAnnounce { get; set; }

    public int Tracked
    {
        get
        {
            lock (_gate)
            {
                return _due.Count;
            }
        }
    }

    public long Sent => Interlocked.Read(ref _sent);

    public long Received => Interlocked.Read(ref _received);

    public long Malformed => Interlocked.Read(ref _malformed);

    public long RateLimited => Interlocked.Read(ref _rateLimited);

    public long OwnIgnored => Interlocked.Read(ref _own);

    /// <summary>Announces <paramref name="hash"/> (lower-case hex) on the next tick and every <see cref="Interval"/> after.</summary>
    public void Add(string hash)
    {
        lock (_gate)
        {
            _due[hash] = _time.GetUtcNow();
        }
    }

    public void Remove(string hash)
    {
        lock (_gate)
        {
            _due.Remove(hash);
        }
    }

    public bool Contains(string hash)
    {
        lock (_gate)
        {
            return _due.ContainsKey(hash);
        }
    }

    /// <summary>Moves <paramref name="hash"/>'s next announce to the next tick, unless it went out less than <paramref name="notSooner"/> ago.</summary>
    public void AnnounceSoon(string hash, TimeSpan notSooner)
    {
        lock (_gate)
        {
            if (_due.TryGetValue(hash, out var due) && due - Interval + notSooner <= _time.GetUtcNow())
            {
                _due[hash] = _time.GetUtcNow();
            }
        }
    }

    /// <summary>Sends the hashes that are due (at most <see cref="MaxHashesPerTick"/>), as few datagrams as fit; returns how many hashes went out.</summary>
    public int Tick()
    {
        var now = _time.GetUtcNow();
        List<string> due;
        lock (_gate)
        {
            due = [.. _due.Where(entry => entry.Value <= now).OrderBy(entry => entry.Value).Take(MaxHashesPerTick).Select(entry => entry.Key)];
            foreach (var hash in due)
            {
                _due[hash] = now + Interval;
            }
        }

        if (due.Count > 0)
        {
            Send(due, []);
        }

        return due.Count;
    }

    /// <summary>Sends one announce of <paramref name="hashes"/> now, with <paramref name="extra"/> headers too (a want, for LBRY).</summary>
    public void Send(IReadOnlyList<string> hashes, IReadOnlyList<KeyValuePair<string, string>> extra)
    {
        var port = _port();
        if (port is < 1 or > 65535 || hashes.Count == 0)
        {
            return;
        }

        IReadOnlyList<KeyValuePair<string, string>> headers = [.. ExtraHeaders(), .. extra];
        var v4 = _format.Encode($"{LocalDiscoveryGroups.GroupV4(_format)}:{LocalDiscoveryGroups.Port(_format)}", port, hashes, Cookie, headers);
        var v6 = _format.Encode($"[{LocalDiscoveryGroups.GroupV6(_format)}]:{LocalDiscoveryGroups.Port(_format)}", port, hashes, Cookie, headers);
        Interlocked.Add(ref _sent, _transport.Send(v4, v6));
    }

    /// <summary>Takes one datagram from the groups: refuses a flooding source, a malformed datagram and our own, passes the rest on.</summary>
    public void Receive(byte[] datagram, IPEndPoint from)
    {
        Interlocked.Increment(ref _received);
        lock (_limiter)
        {
            if (!_limiter.TryAccept(from.Address))
            {
                Interlocked.Increment(ref _rateLimited);
                return;
            }
        }

        LanAnnounce announce;
        try
        {
            announce = _format.Decode(datagram);
        }
        catch (LanAnnounceFormatException)
        {
            Interlocked.Increment(ref _malformed);
            return;
        }

        if (announce.Cookie is { } cookie && string.Equals(cookie.Trim(), Cookie, StringComparison.OrdinalIgnoreCase))
        {
            Interlocked.Increment(ref _own);
            return;
        }

        OnAnnounce?.Invoke(announce, from);
    }
}
