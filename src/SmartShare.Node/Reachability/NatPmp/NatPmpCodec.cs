using System.Buffers.Binary;
using System.Net;

namespace SmartShare.Node.Reachability.NatPmp;

/// <summary>A NAT-PMP response (RFC 6886 §3.2, §3.3): the opcode it answers, its result code and the gateway's epoch.</summary>
/// <param name="Opcode">The request's opcode (0 external address, 1 UDP, 2 TCP); the wire carries it plus 128.</param>
/// <param name="ResultCode">0 success, 1 unsupported version, 2 refused, 3 network failure, 4 out of resources, 5 unsupported opcode.</param>
/// <param name="Epoch">Seconds since the gateway's port-mapping table was (re)initialised.</param>
/// <param name="ExternalAddress">The external address (an address response with success only).</param>
/// <param name="InternalPort">The mapped internal port (a mapping response only).</param>
/// <param name="ExternalPort">The external port granted (a mapping response only).</param>
/// <param name="Lifetime">The lease granted in seconds (a mapping response only).</param>
public sealed record NatPmpResponse(
    byte Opcode,
    ushort ResultCode,
    uint Epoch,
    IPAddress? ExternalAddress = null,
    ushort InternalPort = 0,
    ushort ExternalPort = 0,
    uint Lifetime = 0);

/// <summary>Encodes NAT-PMP requests and decodes responses, refusing anything malformed with <see cref="NatPmpFormatException"/>.</summary>
public static class NatPmpCodec
{
    public const int Port = 5351;
    public const byte Version = 0;
    public const byte ExternalAddressOpcode = 0;
    public const byte UdpOpcode = 1;
    public const byte TcpOpcode = 2;

    /// <summary>The longest datagram read; a response is at most 16 bytes, so anything past this is refused unread.</summary>
    public const int MaxDatagram = 1100;

    public static byte[] ExternalAddressRequest() => [Version, ExternalAddressOpcode];

    /// <param name="protocol"><c>udp</c> or <c>tcp</c>.</param>
    /// <param name="lifetime">Seconds; 0 with external port 0 deletes the mapping (§3.4).</param>
    public static byte[] MappingRequest(string protocol, ushort internalPort, ushort suggestedExternalPort, uint lifetime)
    {
        var request = new byte[12];
        request[0] = Version;
        request[1] = OpcodeFor(protocol);
        BinaryPrimitives.WriteUInt16BigEndian(request.AsSpan(4), internalPort);
        BinaryPrimitives.WriteUInt16BigEndian(request.AsSpan(6), suggestedExternalPort);
        BinaryPrimitives.WriteUInt32BigEndian(request.AsSpan(8), lifetime);
        return request;
    }

    public static byte OpcodeFor(string protocol) => protocol switch
    {
        "udp" => UdpOpcode,
        "tcp" => TcpOpcode,
        _ => throw new ArgumentException($"The protocol must be tcp or udp, not {protocol}.", nameof(protocol)),
    };

    /// <summary>Decodes a response datagram.</summary>
    /// <exception cref="NatPmpFormatException">Not a NAT-PMP response, or truncated.</exception>
    public static NatPmpResponse Decode(ReadOnlySpan<byte> datagram)
    {
        if (datagram.Length > MaxDatagram)
        {
            throw new NatPmpFormatException($"A NAT-PMP response of {datagram.Length} bytes is longer than any NAT-PMP message.");
        }

        if (datagram.Length < 8)
        {
            throw new NatPmpFormatException($"A NAT-PMP response needs at least 8 bytes, not {datagram.Length}.");
        }

        if (datagram[0] != Version)
        {
            throw new NatPmpFormatException($"A NAT-PMP response has version 0, not {datagram[0]}.");
        }

        if (datagram[1] < 128)
        {
            throw new NatPmpFormatException($"Opcode {datagram[1]} is a request, not a response.");
        }

        var opcode = (byte)(datagram[1] - 128);
        var result = BinaryPrimitives.ReadUInt16BigEndian(datagram[2..]);
        var epoch = BinaryPrimitives.ReadUInt32BigEndian(datagram[4..]);
        if (result != 0)
        {
            // An error answer may stop after the epoch (§3.5): nothing else in it is meaningful.
            return new NatPmpResponse(opcode, result, epoch);
        }

        switch (opcode)
        {
            case ExternalAddressOpcode:
                if (datagram.Length < 12)
                {
                    throw new NatPmpFormatException($"A NAT-PMP external-address response needs 12 bytes, not {datagram.Length}.");
                }

                return new NatPmpResponse(opcode, result, epoch, new IPAddress(datagram.Slice(8, 4)));
            case UdpOpcode or TcpOpcode:
                if (datagram.Length < 16)
                {
                    throw new NatPmpFormatException($"A NAT-PMP mapping response needs 16 bytes, not {datagram.Length}.");
                }

                return new NatPmpResponse(
                    opcode,
                    result,
                    epoch,
                    InternalPort: BinaryPrimitives.ReadUInt16BigEndian(datagram[8..]),
                    ExternalPort: BinaryPrimitives.ReadUInt16BigEndian(datagram[10..]),
                    Lifetime: BinaryPrimitives.ReadUInt32BigEndian(datagram[12..]));
            default:
                throw new NatPmpFormatException($"NAT-PMP has no opcode {opcode}.");
        }
    }

    /// <summary>Encodes a response, as a gateway would (for tests and the fuzz seeds).</summary>
    public static byte[] Encode(NatPmpResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        var mapping = response.Opcode is UdpOpcode or TcpOpcode;
        var bytes = new byte[mapping ? 16 : 12];
        bytes[1] = (byte)(response.Opcode + 128);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(2), response.ResultCode);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(4), response.Epoch);
        if (mapping)
        {
            BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(8), response.InternalPort);
            BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(10), response.ExternalPort);
            BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(12), response.Lifetime);
        }
        else if (response.ExternalAddress is { } address)
        {
            address.MapToIPv4().TryWriteBytes(bytes.AsSpan(8), out _);
        }

        return bytes;
    }

    /// <summary>The user's sentence for a NAT-PMP result code.</summary>
    public static string Describe(int resultCode) => resultCode switch
    {
        1 => "the gateway does not support this NAT-PMP version",
        2 => "the gateway refused (port mapping may be turned off on the router)",
        3 => "the gateway has no external address yet (network failure)",
        4 => "the gateway is out of mappings",
        5 => "the gateway does not support this NAT-PMP request",
        _ => $"the gateway answered NAT-PMP result code {resultCode}",
    };
}
