namespace SmartShare.BitTorrent.PeerWire;

/// <summary>What a BitTorrent handshake says: the torrent, who is speaking, and which extensions it supports.</summary>
public readonly record struct Handshake(InfoHash InfoHash, PeerId PeerId, PeerCapabilities Capabilities);
