using SmartShare.IO;
namespace SmartShare.Fuzz.Targets;

/// <summary>
/// The far end of a connection, in memory and never blocking: reads hand out the bytes queued so far and then end
/// (0: the peer closed), and each write may queue an answer computed from what was written, so a harness can play a
/// handshake's other side honestly.
/// </summary>
internal sealed class ScriptedPeerStream(byte[] initial, Func<byte[], byte[]?>? answer) : DuplexStream
{
    private readonly Queue<byte[]> _incoming = new([initial]);
    private int _offset;

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        while (_incoming.TryPeek(out var next))
        {
            var available = next.Length - _offset;
            if (available == 0)
            {
                _incoming.Dequeue();
                _offset = 0;
                continue;
            }

            var count = Math.Min(available, buffer.Length);
            next.AsSpan(_offset, count).CopyTo(buffer);
            _offset += count;
            return count;
        }

        return 0;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Read(buffer.Span));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        Task.FromResult(Read(buffer.AsSpan(offset, count)));

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (answer?.Invoke(buffer.ToArray()) is { Length: > 0 } reply)
        {
            _incoming.Enqueue(reply);
        }
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        Write(buffer.AsSpan(offset, count));
        return Task.CompletedTask;
    }

}
