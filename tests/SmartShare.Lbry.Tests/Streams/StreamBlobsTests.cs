using System.Text;
using SmartShare.Lbry.Blobs;
using SmartShare.Lbry.Streams;

namespace SmartShare.Lbry.Tests.Streams;

/// <summary>The rule a removal deletes blobs by: a removed stream's blobs that no stream still listed needs.</summary>
public sealed class StreamBlobsTests
{
    private static readonly BlobHash SdA = Hash("sd a");
    private static readonly BlobHash SdB = Hash("sd b");
    private static readonly BlobHash X = Hash("x");
    private static readonly BlobHash Shared = Hash("shared");
    private static readonly BlobHash Z = Hash("z");

    [Fact]
    public void A_blob_another_listed_stream_uses_is_kept_and_the_rest_of_the_removed_stream_goes()
    {
        var removed = Descriptor(X, Shared);
        var kept = Descriptor(Shared, Z);

        var needed = StreamBlobs.Needed([(SdB, kept)]);
        var removable = StreamBlobs.Removable(StreamBlobs.Of(SdA, removed), needed);

        Assert.Equal([SdA, X], removable);
        Assert.Equal(new HashSet<BlobHash> { SdB, Shared, Z }, needed);
    }

    [Fact]
    public void A_data_blob_that_is_a_listed_streams_sd_blob_is_kept_even_when_that_streams_descriptor_is_unknown()
    {
        // A download not yet holding its descriptor needs its sd blob; nothing else of it is known.
        var removed = Descriptor(SdB, X);

        var removable = StreamBlobs.Removable(StreamBlobs.Of(SdA, removed), StreamBlobs.Needed([(SdB, null)]));

        Assert.Equal([SdA, X], removable);
    }

    [Fact]
    public void With_nothing_else_listed_every_blob_goes_once_and_the_terminator_names_none()
    {
        var removed = Descriptor(X, X, Z);

        var blobs = StreamBlobs.Of(SdA, removed).ToList();
        var removable = StreamBlobs.Removable(blobs.Concat([Z]), StreamBlobs.Needed([]));

        Assert.Equal([SdA, X, X, Z], blobs);
        Assert.Equal([SdA, X, Z], removable);
        Assert.Equal([SdA], StreamBlobs.Of(SdA, null));
    }

    private static BlobHash Hash(string text) => BlobHash.Compute(Encoding.UTF8.GetBytes(text));

    private static StreamDescriptor Descriptor(params BlobHash[] dataBlobs)
    {
        var iv = new string('0', 32);
        List<StreamBlobInfo> blobs = [.. dataBlobs.Select((hash, i) => new StreamBlobInfo(i, 1000, iv, hash)), new StreamBlobInfo(dataBlobs.Length, 0, iv, null)];
        return new StreamDescriptor("f", new string('0', 32), "f", new string('0', 96), blobs);
    }
}
