using System.Buffers.Binary;
using System.Net;

namespace SmartShare.Node.Reachability.NatPmp;

/// <summary>A MAP opcode's response fields (RFC 6887 §11.1).</summary>
public sealed record PcpMapResult(ReadOnlyMemory<byte> Nonce, byte Protocol, ushort InternalPort, ushort ExternalPort, IPAddress ExternalAddress);

/// <summary>
/// A PCP response (RFC 6887 §7.2). <see cref="Version"/> 0 is a NAT-PMP-only gateway's "unsupported version"
/// answer to a PCP request (§9), which the client takes as "fall back to NAT-PMP".
/// </summary>
/// <param name="ResultCode">0 success, 1 UNSUPP_VERSION, 2 NOT_AUTHORIZED, ... (§7.4).</param>
/// <param name="Lifetime">Seconds the mapping lasts (success), or how long the error holds.</param>
/// <param name="Epoch">Seconds since the gateway's state was (re)initialised.</param>
/// <param name="Map">The MAP opcode's fields, for a MAP response with success.</param>
public sealed record PcpResponse(byte Version, byte Opcode, byte ResultCode, uint Lifetime, uint Epoch, PcpMapResult? Map = null);

/// <summary>Encodes PCP requests (ANNOUNCE and MAP) and decodes responses, refusing anything malformed with <see cref="NatPmpFormatException"/>.</summary>
public static class PcpCodec
{
    public const byte Version = 2;
    public const byte AnnounceOpcode = 0;
    public const byte MapOpcode = 1;
    public const byte ProtocolTcp = 6;
    public const byte ProtocolUdp = 17;
    public const int HeaderLength = 24;
    public const int MapLength = 36;
    public const int NonceLength = 12;

    /// <summary>The longest PCP message (§7).</summary>
    public const int MaxMessage = 1100;

    public const byte UnsupportedVersion = 1;

    /// <summary>An ANNOUNCE request (§14.1): a gateway that speaks PCP answers it with its epoch.</summary>
    public static byte[] AnnounceRequest(IPAddress clientAddress)
    {
        var request = new byte[HeaderLength];
        WriteHeader(request, AnnounceOpcode, 0, clientAddress);
        return request;
    }

    /// <summary>A MAP request (§11.1); lifetime 0 with the same nonce deletes the mapping.</summary>
    public static byte[] MapRequest(
        ReadOnlySpan<byte> nonce, string protocol, ushort internalPort, ushort suggestedExternalPort, uint lifetime, IPAddress clientAddress, IPAddress? suggestedExternalAddress = null)
    {
        if (nonce.Length != NonceLength)
        {
            throw new ArgumentException($"A PCP nonce is {NonceLength} bytes, not {nonce.Length}.", nameof(nonce));
        }

        var request = new byte[HeaderLength + MapLength];
        WriteHeader(request, MapOpcode, lifetime, clientAddress);
        var map = request.AsSpan(HeaderLength);
        nonce.CopyTo(map);
        map[12] = ProtocolNumber(protocol);
        BinaryPrimitives.WriteUInt16BigEndian(map[16..], internalPort);
        BinaryPrimitives.WriteUInt16BigEndian(map[18..], suggestedExternalPort);
        WriteAddress(map[20..36], suggestedExternalAddress ?? IPAddress.Any);
        return request;
    }

    public static byte ProtocolNumber(string protocol) => protocol switch
    {
        "tcp" => ProtocolTcp,
        "udp" => ProtocolUdp,
        _ => throw new ArgumentException($"The protocol must be tcp or udp, not {protocol}.", nameof(protocol)),
    };

    /// <summary>Decodes a response datagram; options after the opcode fields are checked for length and skipped.</summary>
    /// <exception cref="NatPmpFormatException">Not a PCP response, or truncated.</exception>
    public static PcpResponse Decode(ReadOnlySpan<byte> datagram)
    {
        if (datagram.Length > MaxMessage)
        {
            throw new NatPmpFormatException($"A PCP response of {datagram.Length} bytes is longer than the {MaxMessage} bytes PCP allows.");
        }

        if (datagram.Length >= 8 && datagram[0] == NatPmpCodec.Version && datagram[1] >= 128)
        {
            // A NAT-PMP gateway answering a PCP request: version 0, result UNSUPP_VERSION (RFC 6887 §9).
            var natPmpResult = BinaryPrimitives.ReadUInt16BigEndian(datagram[2..]);
            return new PcpResponse(NatPmpCodec.Version, (byte)(datagram[1] - 128), (byte)Math.Min(natPmpResult, byte.MaxValue), 0, BinaryPrimitives.ReadUInt32BigEndian(datagram[4..]));
        }

        if (datagram.Length < HeaderLength)
        {
            throw new NatPmpFormatException($"A PCP response needs at least {HeaderLength} bytes, not {datagram.Length}.");
        }

        if (datagram.Length % 4 != 0)
        {
            throw new NatPmpFormatException($"A PCP message is a multiple of 4 bytes long, not {datagram.Length}.");
        }

        var version = datagram[0];
        if ((datagram[1] & 0x80) == 0)
        {
            throw new NatPmpFormatException("The datagram is a PCP request, not a response.");
        }

        var opcode = (byte)(datagram[1] & 0x7F);
        var result = datagram[3];
        var lifetime = BinaryPrimitives.ReadUInt32BigEndian(datagram[4..]);
        var epoch = BinaryPrimitives.ReadUInt32BigEndian(datagram[8..]);
        if (version != Version)
        {
            // Only the header of another version is meaningful (§9): a server's UNSUPP_VERSION names what it speaks.
            return new PcpResponse(version, opcode, result, lifetime, epoch);
        }

        var body = datagram[HeaderLength..];
        PcpMapResult? map = null;
        if (opcode == MapOpcode && body.Length >= MapLength)
        {
            map = new PcpMapResult(
                body[..NonceLength].ToArray(),
                body[12],
                BinaryPrimitives.ReadUInt16BigEndian(body[16..]),
                BinaryPrimitives.ReadUInt16BigEndian(body[18..]),
                ReadAddress(body[20..36]));
            body = body[MapLength..];
        }
        else if (opcode == MapOpcode && result == 0)
        {
            throw new NatPmpFormatException($"A successful PCP MAP response needs {HeaderLength + MapLength} bytes, not {datagram.Length}.");
        }
        else if (opcode == MapOpcode)
        {
            // An error answer may carry no opcode fields; nothing after the header is trusted.
            body = [];
        }
        else if (opcode != AnnounceOpcode)
        {
            throw new NatPmpFormatException($"PCP opcode {opcode} is not one this client sends.");
        }

        SkipOptions(body);
        return new PcpResponse(version, opcode, result, lifetime, epoch, map);
    }

    /// <summary>Encodes a response, as a gateway would (for tests and the fuzz seeds).</summary>
    public static byte[] Encode(PcpResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        var bytes = new byte[HeaderLength + (response.Map is null ? 0 : MapLength)];
        bytes[0] = response.Version;
        bytes[1] = (byte)(0x80 | response.Opcode);
        bytes[3] = response.ResultCode;
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(4), response.Lifetime);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(8), response.Epoch);
        if (response.Map is { } map)
        {
            var body = bytes.AsSpan(HeaderLength);
            map.Nonce.Span.CopyTo(body);
            body[12] = map.Protocol;
            BinaryPrimitives.WriteUInt16BigEndian(body[16..], map.InternalPort);
            BinaryPrimitives.WriteUInt16BigEndian(body[18..], map.ExternalPort);
            WriteAddress(body[20..36], map.ExternalAddress);
        }

        return bytes;
    }

    /// <summary>The user's sentence for a PCP result code (§7.4).</summary>
    public static string Describe(int resultCode) => resultCode switch
    {
        1 => "the gateway does not support PCP version 2",
        2 => "the gateway refused (port mapping may be turned off on the router)",
        3 => "the gateway found the PCP request malformed",
        4 => "the gateway does not support PCP's MAP request",
        7 => "the gateway has no external address yet (network failure)",
        8 => "the gateway is out of mappings",
        9 => "the gateway does not map this protocol",
        10 => "the gateway's quota of mappings for this machine is used up",
        11 => "the gateway cannot give the external port or address asked for",
        12 => "the gateway sees this machine at another address than the request names",
        _ => $"the gateway answered PCP result code {resultCode}",
    };

    private static void WriteHeader(Span<byte> request, byte opcode, uint lifetime, IPAddress clientAddress)
    {
        request[0] = Version;
        request[1] = opcode;
        BinaryPrimitives.WriteUInt32BigEndian(request[4..], lifetime);
        WriteAddress(request[8..24], clientAddress);
    }

    /// <summary>PCP carries every address in 16 bytes, IPv4 as IPv4-mapped IPv6 (§5).</summary>
    private static void WriteAddress(Span<byte> destination, IPAddress address)
    {
        var mapped = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? address.MapToIPv6() : address;
        if (!mapped.TryWriteBytes(destination, out var written) || written != 16)
        {
            throw new ArgumentException($"Cannot write {address} as a PCP address.", nameof(address));
        }
    }

    private static IPAddress ReadAddress(ReadOnlySpan<byte> source)
    {
        var address = new IPAddress(source);
        return address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
    }

    private static void SkipOptions(ReadOnlySpan<byte> options)
    {
        while (!options.IsEmpty)
        {
            if (options.Length < 4)
            {
                throw new NatPmpFormatException($"A PCP option header needs 4 bytes, not {options.Length}.");
            }

            var length = BinaryPrimitives.ReadUInt16BigEndian(options[2..]);
            var padded = (length + 3) & ~3;
            if (4 + padded > options.Length)
            {
                throw new NatPmpFormatException($"A PCP option of {length} bytes runs past the end of the message.");
            }

            options = options[(4 + padded)..];
        }
    }
}
