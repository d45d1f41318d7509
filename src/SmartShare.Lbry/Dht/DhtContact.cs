using System.Net;
using System.Text;
using SmartShare.Bencode;

namespace SmartShare.Lbry.Dht;

/// <summary>
/// A contact as findNode and findValue answers carry it (spec 1.3): the list <c>[node id, "a.b.c.d", udp port]</c>,
/// with the address as ASCII text and the DHT (UDP) port.
/// </summary>
public readonly record struct DhtContact(ReadOnlyMemory<byte> NodeId, IPEndPoint EndPoint)
{
    public BencodeList ToBencode()
    {
        var address = EndPoint.Address.IsIPv4MappedToIPv6 ? EndPoint.Address.MapToIPv4() : EndPoint.Address;
        return new BencodeList(
        [
            new BencodeByteString(NodeId),
            BencodeByteString.FromAscii(address.ToString()),
            new BencodeInteger(EndPoint.Port),
        ]);
    }

    /// <summary>
    /// Reads a contact triple; false for anything else, including ids that are not 48 bytes and addresses or
    /// ports the policy refuses (lbry-sdk skips such contacts rather than failing the whole answer).
    /// </summary>
    public static bool TryRead(BencodeValue value, PeerAddressPolicy policy, out DhtContact contact)
    {
        ArgumentNullException.ThrowIfNull(policy);
        contact = default;
        if (value is not BencodeList { Count: 3 } triple
            || triple[0] is not BencodeByteString { Value.Length: DhtMessage.NodeIdLength } id
            || triple[1] is not BencodeByteString { Value.Length: >= 7 and <= 15 } text
            || triple[2] is not BencodeInteger port
            || port.Value is < 0 or > ushort.MaxValue
            || !IPAddress.TryParse(Encoding.ASCII.GetString(text.Value.Span), out var address))
        {
            return false;
        }

        var endPoint = new IPEndPoint(address, (int)port.Value);
        if (!policy.IsAllowed(endPoint))
        {
            return false;
        }

        contact = new DhtContact(id.Value.ToArray(), endPoint);
        return true;
    }
}
