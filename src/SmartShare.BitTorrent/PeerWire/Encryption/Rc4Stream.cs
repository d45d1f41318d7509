using System.Buffers;

namespace SmartShare.BitTorrent.PeerWire.Encryption;

/// <summary>
/// A stream that RC4-decrypts what it reads from another stream, in place in the caller's buffer, and RC4-encrypts
/// what it writes into a pooled buffer, never touching the caller's bytes. One read and one write may run at once
/// (the two directions have their own ciphers); not two reads or two writes.
/// </summary>
public sealed class Rc4Stream : Stream
{
    // Large writes are encrypted and written in chunks of this size, so the pooled buffer stays small.
    private const int ChunkSize = 64 * 1024;

    private readonly Stream _inner;
    private readonly Rc4 _decryptor;
    private readonly Rc4 _encryptor;
    private readonly bool _leaveOpen;

    /// <param name="inner">The stream carrying the ciphertext (the socket's).</param>
    /// <param name="decryptor">The cipher of the bytes read, already advanced past whatever it has decrypted.</param>
    /// <param name="encryptor">The cipher of the bytes written, already advanced past whatever it has encrypted.</param>
    /// <param name="leaveOpen">Whether disposing this stream leaves <paramref name="inner"/> open.</param>
    public Rc4Stream(Stream inner, Rc4 decryptor, Rc4 encryptor, bool leaveOpen = false)
    {
        _inner = inner ?? throw new ArgumentNullException(nameof(inner));
        _decryptor = decryptor ?? throw new ArgumentNullException(nameof(decryptor));
        _encryptor = encryptor ?? throw new ArgumentNullException(nameof(encryptor));
        _leaveOpen = leaveOpen;
    }

    public override bool CanRead => _inner.CanRead;

    public override bool CanWrite => _inner.CanWrite;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await _inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        _decryptor.Transform(buffer.Span[..read]);
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(Span<byte> buffer)
    {
        var read = _inner.Read(buffer);
        _decryptor.Transform(buffer[..read]);
        return read;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty)
        {
            return;
        }

        var chunk = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length, ChunkSize));
        try
        {
            while (!buffer.IsEmpty)
            {
                var length = Math.Min(buffer.Length, chunk.Length);
                _encryptor.Transform(buffer.Span[..length], chunk);
                buffer = buffer[length..];
                await _inner.WriteAsync(chunk.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (buffer.IsEmpty)
        {
            return;
        }

        var chunk = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length, ChunkSize));
        try
        {
            while (!buffer.IsEmpty)
            {
                var length = Math.Min(buffer.Length, chunk.Length);
                _encryptor.Transform(buffer[..length], chunk);
                buffer = buffer[length..];
                _inner.Write(chunk, 0, length);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Flush() => _inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => _inner.FlushAsync(cancellationToken);

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override async ValueTask DisposeAsync()
    {
        if (!_leaveOpen)
        {
            await _inner.DisposeAsync().ConfigureAwait(false);
        }

        await base.DisposeAsync().ConfigureAwait(false);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_leaveOpen)
        {
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }
}
