namespace SmartShare.Node.Reachability;

/// <summary>Where a claim about this node's address as the internet sees it came from.</summary>
public enum ExternalAddressSource
{
    /// <summary>The home router, through NAT-PMP, PCP or UPnP's GetExternalIPAddress.</summary>
    Gateway,

    /// <summary>A Mainline DHT response's <c>ip</c> field (BEP 42).</summary>
    MainlineDht,

    /// <summary>A BitTorrent peer's extension handshake <c>yourip</c> (BEP 10).</summary>
    PeerHandshake,

    /// <summary>An LBRY DHT contact that told us the address it saw.</summary>
    LbryDht,
}
