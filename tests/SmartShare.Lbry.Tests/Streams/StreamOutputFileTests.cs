using SmartShare.Lbry.Streams;

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
        string path;
        using (var output = StreamOutputFile.Create(_folder, "movie.mkv", "t1"))
        {
            foreach (var size in new[] { 2_097_151, 2_097_136, 1, 4096, 333_333 })
            {
                var chunk = new byte[size];
                random.NextBytes(chunk);
                output.Append(chunk);
                expected.AddRange(chunk);
                Assert.Equal(expected.Count, new FileInfo(output.PartialPath).Length);
            }

            path = output.Complete();
        }

        Assert.Equal(Path.Combine(_folder, "movie.mkv"), path);
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
