using System.Collections.Concurrent;

namespace SmartShare.BitTorrent.PeerWire.Encryption;

/// <summary>
/// The torrents a responder serves over MSE, looked up by the hash the initiator sends, HASH('req2', SKEY), which is
/// computed once per torrent when it is added. Thread-safe: torrents come and go while handshakes run.
/// </summary>
public sealed class MseSkeyTable
{
    private readonly ConcurrentDictionary<InfoHash, (InfoHash Skey, MseCryptoOffer Allowed)> _byReq2 = new();

    /// <summary>A table of <paramref name="skeys"/>, each allowing <paramref name="allowed"/>.</summary>
    public MseSkeyTable(IEnumerable<InfoHash> skeys, MseCryptoOffer allowed)
    {
        ArgumentNullException.ThrowIfNull(skeys);
        foreach (var skey in skeys)
        {
            Set(skey, allowed);
        }
    }

    /// <summary>An empty table.</summary>
    public MseSkeyTable()
    {
    }

    public int Count => _byReq2.Count;

    /// <summary>Serves <paramref name="skey"/> (an info hash) with the crypto methods <paramref name="allowed"/>, replacing any earlier entry.</summary>
    public void Set(InfoHash skey, MseCryptoOffer allowed)
    {
        if ((allowed & (MseCryptoOffer.Plaintext | MseCryptoOffer.Rc4)) == MseCryptoOffer.None)
        {
            throw new ArgumentException("At least one crypto method must be allowed.", nameof(allowed));
        }

        _byReq2[MseHandshake.Req2Hash(skey)] = (skey, allowed);
    }

    /// <summary>Stops serving <paramref name="skey"/>.</summary>
    public bool Remove(InfoHash skey) => _byReq2.TryRemove(MseHandshake.Req2Hash(skey), out _);

    /// <summary>Finds the torrent whose HASH('req2', SKEY) is <paramref name="req2Hash"/> (20 bytes).</summary>
    public bool TryFind(ReadOnlySpan<byte> req2Hash, out InfoHash skey, out MseCryptoOffer allowed)
    {
        if (req2Hash.Length == InfoHash.Length && _byReq2.TryGetValue(InfoHash.FromBytes(req2Hash), out var entry))
        {
            (skey, allowed) = entry;
            return true;
        }

        skey = default;
        allowed = MseCryptoOffer.None;
        return false;
    }
}
