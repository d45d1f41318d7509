namespace SmartShare.Kademlia.Storage;

/// <summary>An announced peer: opaque value bytes (codec-defined), who announced it and when it last did.</summary>
public sealed record StoredPeer(ReadOnlyMemory<byte> Value, NodeId Announcer, DateTimeOffset StoredAt);
