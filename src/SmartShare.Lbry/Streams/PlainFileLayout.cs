namespace SmartShare.Lbry.Streams;

/// <summary>
/// Where each data blob's plaintext lies in a stream's plain file. lbry-sdk cuts a file into chunks of
/// <see cref="StreamEncryptor.PlaintextPerBlob"/> (2 MiB - 1) bytes, so every blob but the last encrypts to exactly
/// 2 MiB (PKCS#7 adds one byte); a blob of encrypted length L could hold L - 16 to L - 1 plaintext bytes, and the
/// layout takes L - 1 for all but the last, as lbry-sdk writes them. The last blob's plaintext is what the file has
/// left, which must pad to its encrypted length. A layout that fits is still only a claim: every re-encrypted blob is
/// checked against its hash before it is used.
/// </summary>
public sealed class PlainFileLayout
{
    private readonly long[] _offsets;
    private readonly int[] _lengths;

    private PlainFileLayout(long[] offsets, int[] lengths, long fileLength)
    {
        _offsets = offsets;
        _lengths = lengths;
        FileLength = fileLength;
    }

    /// <summary>The plain file's length this layout was made for.</summary>
    public long FileLength { get; }

    public int BlobCount => _offsets.Length;

    /// <summary>Where data blob <paramref name="blobNum"/>'s plaintext starts in the file.</summary>
    public long OffsetOf(int blobNum) => _offsets[blobNum];

    /// <summary>How many plaintext bytes data blob <paramref name="blobNum"/> holds.</summary>
    public int PlainLengthOf(int blobNum) => _lengths[blobNum];

    /// <summary>The PKCS#7-padded length of <paramref name="plainLength"/> bytes under AES (16-byte blocks).</summary>
    public static int PaddedLength(int plainLength) => ((plainLength / 16) + 1) * 16;

    /// <summary>
    /// The layout of <paramref name="descriptor"/> over a file of <paramref name="fileLength"/> bytes, or null with the
    /// reason when the file cannot be the stream's plaintext laid out as lbry-sdk lays it (a wrong length, or a
    /// stream made with other chunk sizes): such a stream is served from its blobs only.
    /// </summary>
    public static PlainFileLayout? TryCreate(StreamDescriptor descriptor, long fileLength, out string? reason)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        var count = descriptor.DataBlobCount;
        if (count == 0)
        {
            reason = "the stream holds no data blob";
            return null;
        }

        var offsets = new long[count];
        var lengths = new int[count];
        long offset = 0;
        for (var i = 0; i < count - 1; i++)
        {
            var encrypted = descriptor.Blobs[i].Length;
            if (encrypted % 16 != 0 || encrypted < 16)
            {
                reason = $"blob {i} is {encrypted} bytes, not a whole number of AES blocks";
                return null;
            }

            offsets[i] = offset;
            lengths[i] = encrypted - 1;
            offset += encrypted - 1;
        }

        var last = descriptor.Blobs[count - 1].Length;
        var rest = fileLength - offset;
        if (rest < 0 || rest > int.MaxValue || PaddedLength((int)rest) != last)
        {
            reason = $"the file is {fileLength} bytes, which does not fit the descriptor's blob lengths";
            return null;
        }

        offsets[count - 1] = offset;
        lengths[count - 1] = (int)rest;
        reason = null;
        return new PlainFileLayout(offsets, lengths, fileLength);
    }
}
