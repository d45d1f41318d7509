using System.Security.Cryptography;
using SmartShare.IO;

namespace SmartShare.Core.Tests.IO;

/// <summary>A write split into calls of at most <see cref="ChunkedWrite.MaxChunk"/> bytes lands byte for byte where one call would.</summary>
public sealed class ChunkedWriteTests : IDisposable
{
    private const int Chunk = ChunkedWrite.MaxChunk;
    private readonly string _folder = Directory.CreateTempSubdirectory("smartshare-chunked-").FullName;

    public static TheoryData<long, int> Writes => new()
    {
        { 0, 0 },
        { 0, 1 },
        { 0, Chunk },
        { 0, Chunk + 1 },
        { 0, (4 * Chunk) + 7 },
        { 1, Chunk },
        { Chunk - 1, 2 },
        { Chunk - 1, (2 * Chunk) + 3 },
        { Chunk, Chunk },
        { (3L * Chunk) + 12345, (2 * Chunk) + 999 },
    };

    [Theory]
    [MemberData(nameof(Writes))]
    public async Task A_write_at_any_offset_and_length_lands_whole(long offset, int length)
    {
        foreach (var synchronous in new[] { false, true })
        {
            await WriteAndCheckAsync(offset, length, synchronous);
        }
    }

    private async Task WriteAndCheckAsync(long offset, int length, bool synchronous)
    {
        var data = RandomNumberGenerator.GetBytes(length);
        var path = Path.Combine(_folder, "data.bin");
        using (var handle = File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite))
        {
            if (synchronous)
            {
                ChunkedWrite.Write(handle, data, offset);
            }
            else
            {
                await ChunkedWrite.WriteAsync(handle, data, offset, CancellationToken.None);
            }
        }

        var bytes = await File.ReadAllBytesAsync(path);
        Assert.Equal(length == 0 ? 0 : offset + length, bytes.LongLength);
        Assert.True(bytes.AsSpan(0, (int)Math.Min(offset, bytes.Length)).IndexOfAnyExcept((byte)0) < 0, "bytes before the offset were written");
        Assert.True(bytes.AsSpan((int)Math.Min(offset, bytes.Length)).SequenceEqual(data), "the data differs");
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
