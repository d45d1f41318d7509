namespace SmartShare.BitTorrent.PeerWire.Encryption;

/// <summary>
/// A stream that first returns bytes already read from another stream (peeked by a listener, or read past the end
/// of a handshake), then reads on from that stream. Writes go straight through.
/// </summary>
internal sealed class PrefixedStream(ReadOnlyMemory<byte> prefix, Stream inner) : WrappingStream(inner, leaveOpen: false)
{
    private ReadOnlyMemory<byte> _prefix = prefix;

    /// <summary>Wraps <paramref name="inner"/> only if there is a prefix to return first.</summary>
    public static Stream Over(ReadOnlyMemory<byte> prefix, Stream inner) => prefix.IsEmpty ? inner : new PrefixedStream(prefix, inner);

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        _prefix.IsEmpty || buffer.IsEmpty ? Inner.ReadAsync(buffer, cancellationToken) : ValueTask.FromResult(TakePrefix(buffer.Span));

    public override int Read(Span<byte> buffer) => _prefix.IsEmpty || buffer.IsEmpty ? Inner.Read(buffer) : TakePrefix(buffer);

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        Inner.WriteAsync(buffer, cancellationToken);

    public override void Write(ReadOnlySpan<byte> buffer) => Inner.Write(buffer);

    private int TakePrefix(Span<byte> buffer)
    {
        var length = Math.Min(buffer.Length, _prefix.Length);
        _prefix.Span[..length].CopyTo(buffer);
        _prefix = _prefix[length..];
        return length;
    }
}
