using SmartShare.Lbry.Blobs;

namespace SmartShare.Lbry.Streams;

/// <summary>
/// A stream descriptor (the content of an sd blob): the file's name, the AES key, and the ordered list of
/// encrypted blobs ending with the empty terminator. Instances come from <see cref="StreamDescriptorCodec"/>,
/// which checks them, or from the encryptor.
/// </summary>
public sealed class StreamDescriptor
{
    public const string LbryFileType = "lbryfile";

    public StreamDescriptor(string streamName, string key, string suggestedFileName, string streamHash, IReadOnlyList<StreamBlobInfo> blobs)
    {
        StreamName = streamName;
        Key = key;
        SuggestedFileName = suggestedFileName;
        StreamHash = streamHash;
        Blobs = blobs;
    }

    /// <summary>The original file's base name (decoded from the hex in the JSON).</summary>
    public string StreamName { get; }

    /// <summary>The AES-128 key as hex text, exactly as the descriptor holds it.</summary>
    public string Key { get; }

    /// <summary>The publisher's sanitized file name (decoded from the hex in the JSON).</summary>
    public string SuggestedFileName { get; }

    public string StreamHash { get; }

    /// <summary>Every blob in blob_num order; the last is the terminator.</summary>
    public IReadOnlyList<StreamBlobInfo> Blobs { get; }

    public int DataBlobCount => Blobs.Count - 1;

    public IEnumerable<StreamBlobInfo> DataBlobs => Blobs.Take(DataBlobCount);

    public BlobHash DataBlobHash(int blobNum) =>
        Blobs[blobNum].BlobHash ?? throw new InvalidOperationException($"Blob {blobNum} is the terminator.");

    /// <summary>The most plaintext bytes the stream can hold (PKCS#7 adds 1 to 16 bytes per blob).</summary>
    public long PlaintextUpperBound => DataBlobs.Sum(blob => (long)blob.Length - 1);
}
