using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace SmartShare.IO;

/// <summary>
/// Memory for bytes bound for a file that a <see cref="DirectWriter"/> writes, placed so that their address and their
/// file offset agree modulo <see cref="DirectWriter.Alignment"/>: the whole blocks they cover then go to the disk
/// straight from here, where other memory is first copied into aligned memory. A pinned array (it never moves, and the
/// GC takes it back should it be dropped undisposed) from a small pool per capacity; dispose it to give it back.
/// </summary>
public sealed class DirectWriteBuffer : IDisposable
{
    /// <summary>Arrays kept per capacity for the next rent; more are left to the GC.</summary>
    public const int MaxPooled = 8;

    private static readonly ConcurrentDictionary<int, ConcurrentQueue<byte[]>> Pools = new();

    private readonly int _start;
    private byte[]? _array;
    private int _length;

    private DirectWriteBuffer(byte[] array, int start, int capacity)
    {
        _array = array;
        _start = start;
        Capacity = capacity;
    }

    /// <summary>How many bytes <see cref="Space"/> holds.</summary>
    public int Capacity { get; }

    /// <summary>The bytes filled (the start of <see cref="Space"/>), which <see cref="Content"/> gives.</summary>
    public int Length
    {
        get => _length;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, Capacity);
            _length = value;
        }
    }

    /// <summary>All <see cref="Capacity"/> bytes, to fill; the first is bound for the file offset given at the rent.</summary>
    public Span<byte> Space => new(Array, _start, Capacity);

    /// <summary>The first <see cref="Length"/> bytes of <see cref="Space"/>.</summary>
    public ReadOnlySpan<byte> Content => new(Array, _start, _length);

    private byte[] Array => _array ?? throw new ObjectDisposedException(nameof(DirectWriteBuffer));

    /// <summary>A buffer of <paramref name="capacity"/> bytes whose first byte is bound for <paramref name="fileOffset"/>.</summary>
    public static DirectWriteBuffer Rent(int capacity, long fileOffset)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        ArgumentOutOfRangeException.ThrowIfNegative(fileOffset);
        var array = Pools.GetOrAdd(capacity, static _ => new()).TryDequeue(out var pooled)
            ? pooled
            : GC.AllocateUninitializedArray<byte>(capacity + DirectWriter.Alignment, pinned: true);
        var start = (int)((fileOffset - AddressOf(array)) & (DirectWriter.Alignment - 1));
        return new DirectWriteBuffer(array, start, capacity);
    }

    public void Dispose()
    {
        var array = Interlocked.Exchange(ref _array, null);
        if (array is not null && Pools.TryGetValue(Capacity, out var pool) && pool.Count < MaxPooled)
        {
            pool.Enqueue(array);
        }
    }

    // A pinned array's address, which stays what it is.
    private static unsafe long AddressOf(byte[] array) => (long)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(array));
}
