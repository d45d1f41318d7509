namespace SmartShare.BitTorrent.PeerWire;

/// <summary>The extensions a peer announces in the reserved bytes of its handshake.</summary>
[Flags]
public enum PeerCapabilities
{
    None = 0,

    /// <summary>BEP 10, the extension protocol: bit 0x10 of reserved byte 5.</summary>
    ExtensionProtocol = 1,

    /// <summary>BEP 6, the fast extension: bit 0x04 of reserved byte 7.</summary>
    Fast = 2,

    /// <summary>BEP 5, the DHT (the peer answers port messages): bit 0x01 of reserved byte 7.</summary>
    Dht = 4,
}
