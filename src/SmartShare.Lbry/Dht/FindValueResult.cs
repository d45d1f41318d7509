using SmartShare.Bencode;

namespace SmartShare.Lbry.Dht;

/// <summary>
/// What findValue answers (spec 1.4): always a 48-byte token; the closest contacts only on page 0; the number
/// of pages of stored peers; and, under the raw key itself, that page's compact peer addresses.
/// </summary>
public sealed record FindValueResult(
    ReadOnlyMemory<byte> Token,
    IReadOnlyList<DhtContact>? Contacts,
    int Pages,
    IReadOnlyList<CompactPeerAddress> Peers)
{
    private static readonly BencodeKey ContactsKey = BencodeKey.FromAscii("contacts");
    private static readonly BencodeKey PagesKey = BencodeKey.FromAscii("p");
    private static readonly BencodeKey ProtocolVersionKey = BencodeKey.FromAscii("protocolVersion");
    private static readonly BencodeKey TokenKey = BencodeKey.FromAscii("token");

    /// <summary>
    /// lbry-sdk's page count: 0 with no peers, else <c>peers // (K + 1) + 1</c>. It undercounts past 16 peers;
    /// kept as is, because clients page by it.
    /// </summary>
    public static int PageCount(int peers, int k) => peers == 0 ? 0 : (peers / (k + 1)) + 1;

    public BencodeDictionary ToBencode(ReadOnlyMemory<byte> key)
    {
        var entries = new List<BencodeEntry>(5);
        if (Peers.Count > 0)
        {
            entries.Add(new BencodeEntry(BencodeKey.FromBytes(key), new BencodeList(Peers.Select(peer => (BencodeValue)new BencodeByteString(peer.ToArray())))));
        }

        if (Contacts is not null)
        {
            entries.Add(new BencodeEntry(ContactsKey, new BencodeList(Contacts.Select(contact => (BencodeValue)contact.ToBencode()))));
        }

        entries.Add(new BencodeEntry(PagesKey, new BencodeInteger(Pages)));
        entries.Add(new BencodeEntry(ProtocolVersionKey, new BencodeInteger(1)));
        entries.Add(new BencodeEntry(TokenKey, new BencodeByteString(Token)));
        return new BencodeDictionary(entries);
    }

    /// <summary>
    /// Reads a findValue result for <paramref name="key"/>. False when it is not a dictionary or has no token
    /// (lbry-sdk's client treats both as a failed request); invalid contacts and peers are skipped.
    /// </summary>
    public static bool TryRead(BencodeValue value, ReadOnlySpan<byte> key, PeerAddressPolicy policy, out FindValueResult result)
    {
        ArgumentNullException.ThrowIfNull(policy);
        result = null!;
        if (value is not BencodeDictionary dictionary
            || !dictionary.TryGetValue("token", out var tokenValue)
            || tokenValue is not BencodeByteString token)
        {
            return false;
        }

        List<DhtContact>? contacts = null;
        if (dictionary.TryGetValue("contacts", out var contactsValue) && contactsValue is BencodeList contactList)
        {
            contacts = [];
            foreach (var item in contactList.Items)
            {
                if (DhtContact.TryRead(item, policy, out var contact))
                {
                    contacts.Add(contact);
                }
            }
        }

        var pages = dictionary.TryGetValue("p", out var pagesValue) && pagesValue is BencodeInteger { Value: >= 0 and <= int.MaxValue } count ? (int)count.Value : 0;
        var peers = new List<CompactPeerAddress>();
        if (dictionary.TryGetValue(key, out var peersValue) && peersValue is BencodeList peerList)
        {
            foreach (var item in peerList.Items)
            {
                if (item is BencodeByteString bytes
                    && CompactPeerAddress.TryRead(bytes.Value.Span, out var peer)
                    && policy.IsAllowed(peer.Address)
                    && PeerAddressPolicy.IsValidPort(peer.TcpPort))
                {
                    peers.Add(peer);
                }
            }
        }

        result = new FindValueResult(token.Value.ToArray(), contacts, pages, peers);
        return true;
    }
}
