using System.Net;
using System.Net.Sockets;

namespace SmartShare.Lbry.Dht;

/// <summary>
/// Which addresses and ports lbry-sdk accepts for DHT contacts and peers (lbry/dht/peer.py, lbry/utils.py
/// <c>is_valid_public_ipv4</c>): public IPv4 only, ports 1024..65535. With <c>allow_lan</c> (for LAN use and
/// tests) loopback and private addresses are accepted too, as lbry-sdk's own tests do with ALLOW_LOCALHOST.
/// </summary>
public sealed class PeerAddressPolicy
{
    // Python's ipaddress "private" networks for IPv4 (the list lbry-sdk's checks rely on), plus the two
    // subnets lbry-sdk adds because ipaddress does not call them reserved.
    private static readonly (uint Network, int Prefix)[] NonPublic =
    [
        (Parse("0.0.0.0"), 8),
        (Parse("10.0.0.0"), 8),
        (Parse("100.64.0.0"), 10),
        (Parse("127.0.0.0"), 8),
        (Parse("169.254.0.0"), 16),
        (Parse("172.16.0.0"), 12),
        (Parse("192.0.0.0"), 29),
        (Parse("192.0.0.170"), 31),
        (Parse("192.0.2.0"), 24),
        (Parse("192.88.99.0"), 24),
        (Parse("192.168.0.0"), 16),
        (Parse("198.18.0.0"), 15),
        (Parse("198.51.100.0"), 24),
        (Parse("203.0.113.0"), 24),
        (Parse("224.0.0.0"), 4),
        (Parse("240.0.0.0"), 4),
    ];

    // What allow_lan opens: loopback and the private ranges a LAN uses, never multicast, broadcast or 0.0.0.0.
    private static readonly (uint Network, int Prefix)[] Lan =
    [
        (Parse("10.0.0.0"), 8),
        (Parse("100.64.0.0"), 10),
        (Parse("127.0.0.0"), 8),
        (Parse("169.254.0.0"), 16),
        (Parse("172.16.0.0"), 12),
        (Parse("192.168.0.0"), 16),
    ];

    private const int MaxTrusted = 256;

    private readonly System.Collections.Concurrent.ConcurrentDictionary<uint, byte> _trusted = new();

    public PeerAddressPolicy(bool allowLan)
    {
        AllowLan = allowLan;
    }

    /// <summary>
    /// Accepts an address the user gave explicitly (a .smartshare file's contacts) even where the public rules
    /// refuse it, such as a LAN or loopback address. IPv4 only, as the LBRY DHT is. Returns false once full.
    /// </summary>
    public bool Trust(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily != AddressFamily.InterNetwork || (_trusted.Count >= MaxTrusted && !_trusted.ContainsKey(ToUInt32(address))))
        {
            return false;
        }

        _trusted.TryAdd(ToUInt32(address), 0);
        return true;
    }

    /// <summary>lbry-sdk's rules as they are on the public network.</summary>
    public static PeerAddressPolicy Public { get; } = new(allowLan: false);

    public bool AllowLan { get; }

    /// <summary>Ports lbry-sdk accepts for a contact's UDP port and a peer's TCP port.</summary>
    public static bool IsValidPort(int port) => port is >= 1024 and <= 65535;

    public bool IsAllowed(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily != AddressFamily.InterNetwork)
        {
            return false;
        }

        var value = ToUInt32(address);
        if ((AllowLan && InAny(value, Lan)) || (!_trusted.IsEmpty && _trusted.ContainsKey(value)))
        {
            return true;
        }

        return !InAny(value, NonPublic) && value != uint.MaxValue;
    }

    public bool IsAllowed(IPEndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        return IsValidPort(endPoint.Port) && IsAllowed(endPoint.Address);
    }

    private static bool InAny(uint value, (uint Network, int Prefix)[] networks)
    {
        foreach (var (network, prefix) in networks)
        {
            var mask = prefix == 0 ? 0u : uint.MaxValue << (32 - prefix);
            if ((value & mask) == network)
            {
                return true;
            }
        }

        return false;
    }

    private static uint Parse(string address) => ToUInt32(IPAddress.Parse(address));

    private static uint ToUInt32(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[4];
        address.TryWriteBytes(bytes, out _);
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(bytes);
    }
}
