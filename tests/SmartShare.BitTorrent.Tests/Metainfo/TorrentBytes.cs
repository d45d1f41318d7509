using System.Text;
using SmartShare.Bencode;

namespace SmartShare.BitTorrent.Tests.Metainfo;

/// <summary>Builds bencoded test torrents from plain C# values, so each test shows only what it changes.</summary>
internal static class TorrentBytes
{
    /// <summary>A 16 KiB piece length, the smallest accepted.</summary>
    public const int PieceLength = 16 * 1024;

    /// <summary>
    /// Encodes: string as UTF-8 byte string, byte[] as byte string, int/long as integer, object[] as list,
    /// Dictionary&lt;string, object&gt; as dictionary (keys sorted by the encoder).
    /// </summary>
    public static BencodeValue ToBencode(object value) => value switch
    {
        string text => new BencodeByteString(Encoding.UTF8.GetBytes(text)),
        byte[] bytes => new BencodeByteString(bytes),
        int number => new BencodeInteger(number),
        long number => new BencodeInteger(number),
        object[] items => new BencodeList(items.Select(ToBencode)),
        Dictionary<string, object> dictionary => new BencodeDictionary(
            dictionary.Select(pair => new BencodeEntry(BencodeKey.FromBytes(Encoding.UTF8.GetBytes(pair.Key)), ToBencode(pair.Value)))),
        BencodeValue ready => ready,
        _ => throw new ArgumentException($"Cannot encode {value.GetType().Name}."),
    };

    public static byte[] Encode(object value) => BencodeEncoder.Encode(ToBencode(value), BencodeMode.Strict);

    /// <summary>An info dictionary for one file of <paramref name="length"/> bytes with the right number of (zero) hashes.</summary>
    public static Dictionary<string, object> SingleFileInfo(long length = 40_000, string name = "file.bin") => new()
    {
        ["name"] = name,
        ["length"] = length,
        ["piece length"] = PieceLength,
        ["pieces"] = new byte[PieceCount(length) * 20],
    };

    /// <summary>An info dictionary for a folder of files, each given as (path components, length).</summary>
    public static Dictionary<string, object> MultiFileInfo(string name, params (string[] Path, long Length)[] files) => new()
    {
        ["name"] = name,
        ["piece length"] = PieceLength,
        ["pieces"] = new byte[PieceCount(files.Sum(file => file.Length)) * 20],
        ["files"] = files
            .Select(file => (object)new Dictionary<string, object> { ["length"] = file.Length, ["path"] = file.Path.Cast<object>().ToArray() })
            .ToArray(),
    };

    public static Dictionary<string, object> Outer(Dictionary<string, object> info) => new() { ["info"] = info };

    public static byte[] SingleFileTorrent() => Encode(Outer(SingleFileInfo()));

    public static long PieceCount(long length) => (length + PieceLength - 1) / PieceLength;
}
