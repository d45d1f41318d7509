namespace SmartShare.BitTorrent.PeerWire;

/// <summary>
/// The message ids of BEP 3, BEP 5 (port), BEP 6 (fast extension) and BEP 10 (extended), plus two that never
/// appear on the wire: <see cref="KeepAlive"/> (a zero-length message) and <see cref="Unknown"/> (an id this client
/// does not know).
/// </summary>
public enum PeerMessageType : byte
{
    Choke = 0,
    Unchoke = 1,
    Interested = 2,
    NotInterested = 3,
    Have = 4,
    Bitfield = 5,
    Request = 6,
    Piece = 7,
    Cancel = 8,
    Port = 9,
    Suggest = 13,
    HaveAll = 14,
    HaveNone = 15,
    Reject = 16,
    AllowedFast = 17,
    Extended = 20,
    KeepAlive = 254,
    Unknown = 255,
}
