using SmartShare.IO;
using SmartShare.Lbry.Streams;
using SmartShare.Tests.Shared;

namespace SmartShare.Lbry.Tests.Streams;

/// <summary>
/// The plain file a stream is decrypted into holds exactly the bytes appended, in blob-sized appends of any length,
/// also when a resumed download goes on from a partial file whose length is not a whole number of 4 KiB blocks and
/// cuts it first.
/// </summary>
public sealed class StreamOutputFileTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("smartshare-output-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Blob_sized_appends_make_the_complete_file_byte_for_byte()
    {
        var random = new Random(3);
        var expected = new List<byte>();
        using var output = StreamOutputFile.Create(_folder, "movie.mkv", "t1");
        foreach (var size in new[] { 2_097_151, 2_097_136, 1, 4096, 333_333 })
        {
            var chunk = new byte[size];
            random.NextBytes(chunk);
            output.Append(chunk);
            expected.AddRange(chunk);
            Assert.Equal(expected.Count, new FileInfo(output.PartialPath).Length);
        }

        // The rename's change time must differ from the last write's (file times come from a coarse clock tick).
        FileClock.WaitPast(FileStamp.Strict(output.PartialPath).ChangeUtcTicks);

        var path = output.Complete();

        Assert.Equal(Path.Combine(_folder, "movie.mkv"), path);
        Assert.Equal(expected.ToArray(), File.ReadAllBytes(path));

        // Stamped after the rename (which moves the change time): the complete file as it lies under its name.
        Assert.Equal(FileStamp.Strict(path), output.Stamp);
        Assert.Equal(OperatingSystem.IsLinux(), output.Stamp.IsStrict);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void The_file_goes_past_the_page_cache_unless_asked_not_to(bool directWrites)
    {
        // Three blob-sized appends: with direct writes only the blocks they share at their ends are cached.
        var random = new Random(5);
        var expected = new List<byte>();
        string path;
        using (var output = StreamOutputFile.Create(_folder, $"cache-{directWrites}.bin", "t3", directWrites))
        {
            for (var i = 0; i < 3; i++)
            {
                var chunk = new byte[2_097_136];
                random.NextBytes(chunk);
                output.Append(chunk);
                expected.AddRange(chunk);
            }

            path = output.Complete();
        }

        var resident = PageCache.ResidentBytes(path);
        if (directWrites)
        {
            Assert.True(resident <= 4 * 4096, $"{resident} bytes of the file are in the page cache");
        }
        else
        {
            Assert.True(resident >= expected.Count - 4096, $"only {resident} bytes of the file are in the page cache");
        }

        Assert.Equal(expected.ToArray(), File.ReadAllBytes(path));
    }

    [Fact]
    public void A_resumed_file_cut_mid_block_goes_on_from_the_cut()
    {
        var random = new Random(4);
        var first = new byte[10_000];
        random.NextBytes(first);
        using (var output = StreamOutputFile.Create(_folder, "a.bin", "t2"))
        {
            output.KeepPartial = true;
            output.Append(first);
        }

        var rest = new byte[3 * 4096 + 5];
        random.NextBytes(rest);
        string path;
        using (var resumed = StreamOutputFile.Resume(_folder, "a.bin", "t2"))
        {
            Assert.Equal(first.Length, resumed.Length);
            resumed.Append(rest.AsSpan(0, 100));
            resumed.Truncate(6_001);
            resumed.Append(rest);
            path = resumed.Complete();
        }

        Assert.Equal([.. first.AsSpan(0, 6_001), .. rest], File.ReadAllBytes(path));
    }
}
