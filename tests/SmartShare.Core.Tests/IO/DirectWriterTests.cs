using SmartShare.IO;
using SmartShare.Tests.Shared;

namespace SmartShare.Core.Tests.IO;

/// <summary>
/// <see cref="DirectWriter"/> lands every byte where a plain write would, whatever the offsets and lengths, and keeps
/// the whole blocks of a write out of the page cache where the file system allows it.
/// </summary>
public sealed class DirectWriterTests : IDisposable
{
    private const int Block = DirectWriter.Alignment;
    private readonly string _folder = Directory.CreateTempSubdirectory("smartshare-direct-").FullName;

    [Fact]
    public void Appends_of_blob_sized_and_odd_lengths_make_the_file_they_were_given()
    {
        // An LBRY stream's plaintext comes in blobs of 2 MiB less 16 bytes, so most appends start and end mid-block.
        var random = new Random(19);
        int[] lengths = [2_097_136, 2_097_136, 1, Block - 1, Block, Block + 1, 3 * 1024 * 1024, 2_097_136, 77, 1_500_000];
        var expected = new MemoryStream();
        var path = Path.Combine(_folder, "appended.bin");
        using (var handle = File.OpenHandle(path, FileMode.Create, FileAccess.Write))
        using (var writer = DirectWriter.For(handle))
        {
            Assert.Equal(OperatingSystem.IsLinux(), writer.IsDirect);
            foreach (var length in lengths)
            {
                var data = new byte[length];
                random.NextBytes(data);
                writer.Write(data, expected.Length);
                expected.Write(data);
            }

            Assert.Equal(OperatingSystem.IsLinux(), writer.IsDirect);
        }

        Assert.Equal(expected.ToArray(), File.ReadAllBytes(path));
    }

    [Fact]
    public void Writes_at_random_offsets_over_each_other_leave_the_last_bytes_written()
    {
        var random = new Random(7);
        var model = new byte[6 * 1024 * 1024];
        var end = 0L;
        var path = Path.Combine(_folder, "random.bin");
        using (var handle = File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite))
        using (var writer = DirectWriter.For(handle))
        {
            for (var i = 0; i < 60; i++)
            {
                var offset = random.Next(model.Length - 1);
                var length = random.Next(1, Math.Min(model.Length - offset, 1_300_000));
                var data = new byte[length];
                random.NextBytes(data);
                writer.Write(data, offset);

                // Read back through the handle between writes: the cache and the disk must agree at every step.
                data.CopyTo(model, offset);
                end = Math.Max(end, offset + length);
                var check = random.Next((int)end);
                var got = new byte[Math.Min(100_000, (int)end - check)];
                Assert.Equal(got.Length, RandomAccess.Read(handle, got, check));
                Assert.True(got.AsSpan().SequenceEqual(model.AsSpan(check, got.Length)), $"bytes at {check} differ after write {i}");
            }
        }

        Assert.True(File.ReadAllBytes(path).AsSpan().SequenceEqual(model.AsSpan(0, (int)end)));
    }

    [Fact]
    public async Task Writes_from_several_threads_at_once_each_land()
    {
        // Several writers share one DirectWriter (each write takes its own aligned buffer).
        const int Piece = (256 * 1024) + 100;
        const int Pieces = 40;
        var data = new byte[Piece * Pieces];
        new Random(13).NextBytes(data);
        var path = Path.Combine(_folder, "pieces.bin");
        using (var handle = File.OpenHandle(path, FileMode.Create, FileAccess.Write))
        using (var writer = DirectWriter.For(handle))
        {
            var next = -1;
            var workers = Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
            {
                for (var piece = Interlocked.Increment(ref next); piece < Pieces; piece = Interlocked.Increment(ref next))
                {
                    var index = Pieces - 1 - piece;
                    writer.Write(data.AsSpan(index * Piece, Piece), (long)index * Piece);
                }
            }));
            await Task.WhenAll(workers);
        }

        Assert.True(File.ReadAllBytes(path).AsSpan().SequenceEqual(data));
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(1L)]
    [InlineData(4095L)]
    [InlineData(3L * 2_097_151)]
    public void Bytes_in_a_buffer_placed_for_their_offset_go_to_disk_without_a_copy(long offset)
    {
        Assert.True(OperatingSystem.IsLinux() && !OnTmpfs(_folder), $"{_folder} is not on a Linux disk file system");
        var path = Path.Combine(_folder, "placed.bin");
        var random = new Random((int)offset);
        var before = new byte[offset];
        random.NextBytes(before);
        using var placed = DirectWriteBuffer.Rent(2_097_152, offset);
        random.NextBytes(placed.Space);
        placed.Length = 2_097_151;
        using var misplaced = DirectWriteBuffer.Rent(2_097_152, offset + 1);
        placed.Content.CopyTo(misplaced.Space);
        misplaced.Length = placed.Length;
        var other = misplaced.Content.ToArray();
        using (var handle = File.OpenHandle(path, FileMode.Create, FileAccess.Write))
        using (var writer = DirectWriter.For(handle))
        {
            writer.Write(before, 0);
            var staged = writer.StagedBytes;
            writer.Write(placed.Content, offset);
            Assert.True(writer.IsDirect);
            Assert.Equal(staged, writer.StagedBytes);

            // The same bytes placed for the next offset are copied into aligned memory first.
            writer.Write(misplaced.Content, offset);
            Assert.True(writer.StagedBytes > staged);
        }

        Assert.Equal([.. before, .. other], File.ReadAllBytes(path));
    }

    [Fact]
    public void A_buffer_given_back_is_rented_again_and_holds_what_it_is_given()
    {
        var first = DirectWriteBuffer.Rent(10_000, 5);
        Assert.Equal(10_000, first.Space.Length);
        first.Length = 3;
        Assert.Equal(3, first.Content.Length);
        Assert.Throws<ArgumentOutOfRangeException>(() => first.Length = 10_001);
        first.Dispose();
        Assert.Throws<ObjectDisposedException>(() => first.Space.Length);
        first.Dispose();

        using var second = DirectWriteBuffer.Rent(10_000, 4096 + 6);
        Assert.Equal(0, second.Length);
        second.Space.Fill(7);
        second.Length = second.Capacity;
        Assert.All(second.Content.ToArray(), value => Assert.Equal(7, value));
    }

    [Fact]
    public void Whole_blocks_stay_out_of_the_page_cache()
    {
        // The project's machines: Linux, with the temp folder on a disk (tmpfs has no disk to write past its cache to).
        Assert.True(OperatingSystem.IsLinux() && !OnTmpfs(_folder), $"{_folder} is not on a Linux disk file system");
        var path = Path.Combine(_folder, "cold.bin");
        var data = new byte[(8 * 1024 * 1024) + 123];
        new Random(3).NextBytes(data);
        using (var handle = File.OpenHandle(path, FileMode.Create, FileAccess.Write))
        using (var writer = DirectWriter.For(handle))
        {
            writer.Write(data.AsSpan(0, 5_000_001), 0);
            writer.Write(data.AsSpan(5_000_001), 5_000_001);
        }

        // Only the blocks the writes share at their ends may be cached: the head of the second and the tail of each.
        var resident = PageCache.ResidentBytes(path);
        Assert.True(resident <= 3 * Block, $"{resident} bytes of the file are in the page cache");
        Assert.Equal(data, File.ReadAllBytes(path));
    }

    [Fact]
    public void On_tmpfs_the_writes_land_too()
    {
        Assert.True(OperatingSystem.IsLinux() && Directory.Exists("/dev/shm") && OnTmpfs("/dev/shm"), "/dev/shm is not a tmpfs");
        var path = Path.Combine("/dev/shm", $"smartshare-direct-{Environment.ProcessId}-{Guid.NewGuid():N}.bin");
        try
        {
            var data = new byte[(3 * Block) + 5];
            new Random(5).NextBytes(data);
            using (var handle = File.OpenHandle(path, FileMode.Create, FileAccess.Write))
            using (var writer = DirectWriter.For(handle))
            {
                // Linux takes O_DIRECT on tmpfs since 6.6; before, the open is refused and every write is cached.
                writer.Write(data, 0);
                writer.Write(data, data.Length);
            }

            Assert.Equal([.. data, .. data], File.ReadAllBytes(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Asked_not_to_it_writes_through_the_handle()
    {
        var path = Path.Combine(_folder, "cached.bin");
        var data = new byte[(4 * Block) + 9];
        new Random(11).NextBytes(data);
        using (var handle = File.OpenHandle(path, FileMode.Create, FileAccess.Write))
        using (var writer = DirectWriter.For(handle, direct: false))
        {
            Assert.False(writer.IsDirect);
            writer.Write(data, 1);
        }

        Assert.Equal([0, .. data], File.ReadAllBytes(path));
    }

    private static bool OnTmpfs(string folder)
    {
        var mount = File.ReadAllLines("/proc/self/mounts").Select(line => line.Split(' '))
            .Where(fields => Path.GetFullPath(folder).StartsWith(fields[1].TrimEnd('/') + "/", StringComparison.Ordinal) || fields[1] == folder)
            .MaxBy(fields => fields[1].Length);
        return mount?[2] == "tmpfs";
    }

    [Fact]
    public void A_file_system_that_refuses_the_first_direct_write_gets_every_byte_through_the_handle()
    {
        var data = new byte[(3 * 1024 * 1024) + 123];
        new Random(23).NextBytes(data);
        var path = Path.Combine(_folder, "refused.bin");
        using (var handle = File.OpenHandle(path, FileMode.Create, FileAccess.Write))
        using (var writer = DirectWriter.For(handle))
        {
            if (!writer.IsDirect)
            {
                return; // Not Linux: nothing goes past the cache to be refused.
            }

            // EINVAL at the first direct write is how a file system without O_DIRECT support at write time says so.
            writer.FailNextDirectWriteForTests = 22;
            writer.Write(data.AsSpan(0, 100), 0);
            writer.Write(data.AsSpan(100), 100);
            Assert.False(writer.IsDirect);
        }

        Assert.Equal(data, File.ReadAllBytes(path));
    }

    [Fact]
    public void Another_error_of_a_direct_write_is_the_callers_to_see()
    {
        var path = Path.Combine(_folder, "failed.bin");
        using var handle = File.OpenHandle(path, FileMode.Create, FileAccess.Write);
        using var writer = DirectWriter.For(handle);
        if (!writer.IsDirect)
        {
            return;
        }

        // EIO: the disk failed. Nothing is retried through the handle behind the caller's back.
        writer.FailNextDirectWriteForTests = 5;
        var failure = Assert.Throws<IOException>(() => writer.Write(new byte[2 * Block], 0));
        Assert.Equal(5, failure.HResult);
        Assert.True(writer.IsDirect);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
