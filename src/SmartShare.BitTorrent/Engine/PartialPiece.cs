using System.Buffers;

namespace SmartShare.BitTorrent.Engine;

/// <summary>Where one block of a piece being assembled stands.</summary>
public enum BlockState : byte
{
    /// <summary>Nobody has been asked for it.</summary>
    Open,

    /// <summary>Asked of one or more peers.</summary>
    Requested,

    /// <summary>A peer's copy is being written into the buffer; other copies are dropped.</summary>
    Writing,

    /// <summary>In the buffer.</summary>
    Received,
}

/// <summary>
/// A piece being assembled in memory: a pooled buffer the size of the piece and the state of each 16 KiB block. It
/// only reaches the files after its SHA-1 matches. Remembers which peer sent each block, to blame the senders of a
/// piece that fails its hash. State changes happen under the session lock; block copies happen outside it, which the
/// Writing state makes safe.
/// </summary>
public sealed class PartialPiece
{
    private readonly BlockState[] _states;
    private readonly byte[] _requesters;
    private readonly object?[] _senders;
    private byte[]? _buffer;

    public PartialPiece(int index, int size)
    {
        Index = index;
        Size = size;
        BlockCount = (size + BlockRequest.BlockSize - 1) / BlockRequest.BlockSize;
        _states = new BlockState[BlockCount];
        _requesters = new byte[BlockCount];
        _senders = new object?[BlockCount];
        OpenBlocks = BlockCount;
    }

    public int Index { get; }

    public int Size { get; }

    public int BlockCount { get; }

    public int OpenBlocks { get; private set; }

    public int ReceivedBlocks { get; private set; }

    public bool IsComplete => ReceivedBlocks == BlockCount;

    /// <summary>The piece's bytes so far; rented on the first block.</summary>
    public Memory<byte> Buffer => (_buffer ??= ArrayPool<byte>.Shared.Rent(Size)).AsMemory(0, Size);

    /// <summary>The peers that sent the blocks (for a piece that failed its check: who to blame).</summary>
    public IEnumerable<object> Senders => _senders.Where(s => s is not null).Distinct()!;

    public BlockState State(int block) => _states[block];

    public int Requesters(int block) => _requesters[block];

    public int BlockLength(int block) => Math.Min(BlockRequest.BlockSize, Size - (block * BlockRequest.BlockSize));

    public BlockRequest Request(int block) => new(Index, block * BlockRequest.BlockSize, BlockLength(block));

    internal void MarkRequested(int block)
    {
        if (_states[block] == BlockState.Open)
        {
            _states[block] = BlockState.Requested;
            OpenBlocks--;
        }

        _requesters[block]++;
    }

    internal void Unrequest(int block)
    {
        if (_requesters[block] > 0)
        {
            _requesters[block]--;
        }

        if (_requesters[block] == 0 && _states[block] == BlockState.Requested)
        {
            _states[block] = BlockState.Open;
            OpenBlocks++;
        }
    }

    internal bool TryBeginWrite(int block)
    {
        var state = _states[block];
        if (state is BlockState.Writing or BlockState.Received)
        {
            return false;
        }

        if (state == BlockState.Open)
        {
            // Data nobody asked for right now (a request given back, then answered anyway): still good.
            OpenBlocks--;
        }

        _states[block] = BlockState.Writing;
        _ = Buffer;
        return true;
    }

    internal void EndWrite(int block, object sender)
    {
        _states[block] = BlockState.Received;
        _requesters[block] = 0;
        _senders[block] = sender;
        ReceivedBlocks++;
    }

    internal void AbortWrite(int block)
    {
        _states[block] = BlockState.Open;
        _requesters[block] = 0;
        OpenBlocks++;
    }

    /// <summary>Gives the buffer back to the pool; the piece must not be used afterwards.</summary>
    public void ReleaseBuffer()
    {
        var buffer = _buffer;
        _buffer = null;
        if (buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
