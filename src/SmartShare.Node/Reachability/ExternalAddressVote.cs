using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using SmartShare.Node.Hosting;

namespace SmartShare.Node.Reachability;

/// <summary>What <see cref="ExternalAddressVote"/> settles on for one address family.</summary>
/// <param name="Address">This node's address as the internet sees it.</param>
/// <param name="Sources">The kinds of source whose fresh reports agree with it.</param>
/// <param name="Votes">Fresh agreeing votes: one per reporter group, the gateway counting as one.</param>
/// <param name="LearnedAt">When the vote first settled on this address.</param>
public sealed record ExternalAddress(IPAddress Address, IReadOnlyList<ExternalAddressSource> Sources, int Votes, DateTimeOffset LearnedAt);

/// <summary>Limits of <see cref="ExternalAddressVote"/>.</summary>
public sealed record ExternalAddressVoteOptions
{
    /// <summary>How long a peer's or DHT node's report counts. Default 1 hour.</summary>
    public TimeSpan PeerVoteLifetime { get; init; } = TimeSpan.FromHours(1);

    /// <summary>How long the gateway's answer counts (the port mapper asks again at each lease renewal). Default 2 hours.</summary>
    public TimeSpan GatewayLifetime { get; init; } = TimeSpan.FromHours(2);

    /// <summary>Distinct reporter groups that must agree before peers alone set the address. Default 2, so one liar alone sets nothing.</summary>
    public int MinPeerVotes { get; init; } = 2;

    /// <summary>Reporter groups remembered at most; a report from a new group is dropped while all are fresh. Default 512.</summary>
    public int MaxVoters { get; init; } = 512;
}

/// <summary>
/// Settles this node's external IPv4 (and IPv6) address from every claim made about it. The gateway's answer (NAT-PMP,
/// PCP, UPnP) wins while it is fresh. Otherwise peers vote: each reporter group (an IPv4 /24, an IPv6 /48, so one host
/// or one subnet counts once, its latest claim replacing its earlier one) has one vote, votes age out, the address
/// needs <see cref="ExternalAddressVoteOptions.MinPeerVotes"/> agreeing groups, and a challenger replaces the current
/// address only with strictly more votes. Loopback, private, shared, link-local and reserved addresses are never
/// taken. Memory is bounded by <see cref="ExternalAddressVoteOptions.MaxVoters"/>.
/// </summary>
public sealed partial class ExternalAddressVote : IExternalAddressSink, IStatusContributor
{
    private readonly Lock _lock = new();
    private readonly TimeProvider _time;
    private readonly ExternalAddressVoteOptions _options;
    private readonly ILogger? _logger;
    private readonly Dictionary<VoterKey, Vote> _votes = [];
    private readonly Family _v4 = new();
    private readonly Family _v6 = new();
    private long _refused;
    private long _dropped;

    public ExternalAddressVote(TimeProvider time, ExternalAddressVoteOptions? options = null, ILogger<ExternalAddressVote>? logger = null)
    {
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _options = options ?? new ExternalAddressVoteOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.MinPeerVotes, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.MaxVoters, 1);
        _logger = logger;
    }

    public string Section => "external_address";

    /// <summary>Claims refused because the address cannot be an external one (private, loopback, reserved...).</summary>
    public long Refused => Interlocked.Read(ref _refused);

    /// <summary>Claims dropped because <see cref="ExternalAddressVoteOptions.MaxVoters"/> fresh groups were already remembered.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>The settled IPv4 address, or null while unknown.</summary>
    public ExternalAddress? IPv4 => Current(AddressFamily.InterNetwork);

    /// <summary>The settled IPv6 address, or null while unknown.</summary>
    public ExternalAddress? IPv6 => Current(AddressFamily.InterNetworkV6);

    /// <summary>The settled addresses, IPv4 first.</summary>
    public IReadOnlyList<ExternalAddress> Addresses => new[] { IPv4, IPv6 }.OfType<ExternalAddress>().ToList();

    public void Report(IPAddress address, ExternalAddressSource source, IPAddress reporter)
    {
        ArgumentNullException.ThrowIfNull(address);
        ArgumentNullException.ThrowIfNull(reporter);
        address = PublicAddress.Normalize(address);
        if (!PublicAddress.IsPublic(address))
        {
            Interlocked.Increment(ref _refused);
            return;
        }

        var now = _time.GetUtcNow();
        lock (_lock)
        {
            var family = FamilyOf(address.AddressFamily);
            if (source == ExternalAddressSource.Gateway)
            {
                family.Gateway = new Vote(address, source, now);
            }
            else
            {
                var key = VoterKey.Of(address.AddressFamily, PublicAddress.Normalize(reporter));
                if (!_votes.ContainsKey(key) && _votes.Count >= _options.MaxVoters)
                {
                    PruneUnderLock(now);
                    if (_votes.Count >= _options.MaxVoters)
                    {
                        Interlocked.Increment(ref _dropped);
                        return;
                    }
                }

                _votes[key] = new Vote(address, source, now);
            }

            SettleUnderLock(address.AddressFamily, now);
        }
    }

    /// <summary>The settled address of <paramref name="family"/> now (votes past their lifetime no longer count), or null.</summary>
    public ExternalAddress? Current(AddressFamily family)
    {
        if (family is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6))
        {
            return null;
        }

        var now = _time.GetUtcNow();
        lock (_lock)
        {
            PruneUnderLock(now);
            return SettleUnderLock(family, now);
        }
    }

    public JsonNode? Describe()
    {
        var v4 = IPv4;
        var v6 = IPv6;
        int voters;
        lock (_lock)
        {
            voters = _votes.Count;
        }

        return new JsonObject
        {
            ["address"] = (v4 ?? v6)?.Address.ToString(),
            ["ipv4"] = ToJson(v4),
            ["ipv6"] = ToJson(v6),
            ["voters"] = voters,
            ["refused"] = Refused,
            ["dropped"] = Dropped,
        };
    }

    /// <summary>The status name of a source: gateway, mainline_dht, peer_handshake, lbry_dht.</summary>
    public static string NameOf(ExternalAddressSource source) => source switch
    {
        ExternalAddressSource.Gateway => "gateway",
        ExternalAddressSource.MainlineDht => "mainline_dht",
        ExternalAddressSource.PeerHandshake => "peer_handshake",
        ExternalAddressSource.LbryDht => "lbry_dht",
        _ => source.ToString().ToLowerInvariant(),
    };

    private static JsonObject? ToJson(ExternalAddress? address) => address is null
        ? null
        : new JsonObject
        {
            ["address"] = address.Address.ToString(),
            ["sources"] = new JsonArray([.. address.Sources.Select(source => (JsonNode?)JsonValue.Create(NameOf(source)))]),
            ["votes"] = address.Votes,
            ["learned_at"] = address.LearnedAt.ToUniversalTime().ToString("O", System.Globalization.CultureInfo.InvariantCulture),
        };

    private Family FamilyOf(AddressFamily family) => family == AddressFamily.InterNetwork ? _v4 : _v6;

    private void PruneUnderLock(DateTimeOffset now)
    {
        foreach (var (key, vote) in _votes.ToList())
        {
            if (now - vote.At >= _options.PeerVoteLifetime)
            {
                _votes.Remove(key);
            }
        }
    }

    private ExternalAddress? SettleUnderLock(AddressFamily addressFamily, DateTimeOffset now)
    {
        var family = FamilyOf(addressFamily);
        if (family.Gateway is { } gateway && now - gateway.At >= _options.GatewayLifetime)
        {
            family.Gateway = null;
        }

        // Fresh peer votes of this family, counted per claimed address.
        var tally = new Dictionary<IPAddress, List<Vote>>();
        foreach (var (key, vote) in _votes)
        {
            if (key.Family == addressFamily && now - vote.At < _options.PeerVoteLifetime)
            {
                if (!tally.TryGetValue(vote.Address, out var list))
                {
                    tally[vote.Address] = list = [];
                }

                list.Add(vote);
            }
        }

        IPAddress? winner;
        if (family.Gateway is { } fresh)
        {
            winner = fresh.Address;
        }
        else
        {
            var best = tally.Count == 0 ? 0 : tally.Values.Max(list => list.Count);
            winner = best < _options.MinPeerVotes
                ? null
                : family.Winner is { } held && tally.TryGetValue(held, out var heldVotes) && heldVotes.Count == best
                    ? held
                    : tally.First(pair => pair.Value.Count == best).Key;
        }

        if (!Equals(winner, family.Winner))
        {
            var previous = family.Winner;
            family.Winner = winner;
            family.LearnedAt = now;
            if (_logger is not null)
            {
                LogChanged(_logger, addressFamily == AddressFamily.InterNetwork ? "IPv4" : "IPv6", winner, previous);
            }
        }

        if (winner is null)
        {
            return null;
        }

        var agreeing = tally.GetValueOrDefault(winner) ?? [];
        var sources = agreeing.Select(vote => vote.Source).ToHashSet();
        var gatewayAgrees = family.Gateway?.Address.Equals(winner) == true;
        if (gatewayAgrees)
        {
            sources.Add(ExternalAddressSource.Gateway);
        }

        return new ExternalAddress(winner, [.. sources.Order()], agreeing.Count + (gatewayAgrees ? 1 : 0), family.LearnedAt);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "External {Family} address: {Address} (was {Previous})")]
    private static partial void LogChanged(ILogger logger, string family, IPAddress? address, IPAddress? previous);

    private sealed record Vote(IPAddress Address, ExternalAddressSource Source, DateTimeOffset At);

    private sealed class Family
    {
        public Vote? Gateway { get; set; }

        public IPAddress? Winner { get; set; }

        public DateTimeOffset LearnedAt { get; set; }
    }

    /// <summary>One vote per reporter group and claimed family: an IPv4 /24 or an IPv6 /48.</summary>
    private readonly record struct VoterKey(AddressFamily Family, UInt128 Group)
    {
        public static VoterKey Of(AddressFamily claimed, IPAddress reporter)
        {
            Span<byte> bytes = stackalloc byte[16];
            bytes.Clear();
            reporter.TryWriteBytes(bytes, out var written);
            var prefix = written == 4 ? 3 : 6;
            bytes[prefix..].Clear();

            // The length keeps an IPv4 group apart from an IPv6 one with the same leading bytes.
            bytes[15] = (byte)written;
            return new VoterKey(claimed, System.Buffers.Binary.BinaryPrimitives.ReadUInt128BigEndian(bytes));
        }
    }
}
