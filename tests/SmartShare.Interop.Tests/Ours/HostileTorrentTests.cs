using System.Security.Cryptography;
using System.Text;
using SmartShare.Interop.Tests.Clients;
using SmartShare.Node.Api;
using SmartShare.Node.Client;

namespace SmartShare.Interop.Tests.Ours;

/// <summary>
/// A .torrent written by hand (a correct info dictionary: lengths, piece length, piece hashes) whose file path or
/// name would leave the download folder: our node's <c>get</c> refuses it with a JSON-RPC error saying why, and
/// writes nothing anywhere.
/// </summary>
public sealed class HostileTorrentTests : IDisposable
{
    private const int PieceLength = 16384;
    private readonly InteropDirectory _directory = new();

    public static TheoryData<string, string[]?> Cases() => new()
    {
        // A multi-file torrent "hostile" whose one file climbs two folders: downloads/hostile/../../escape.bin.
        { "hostile", ["..", "..", "escape.bin"] },
        // A multi-file torrent whose file climbs out of the torrent's own folder into the download folder.
        { "hostile", ["sub", "..", "..", "escape.bin"] },
        // A single-file torrent named "..".
        { "..", null },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Our_node_refuses_a_torrent_whose_path_leaves_the_download_folder(string name, string[]? path)
    {
        var content = RandomNumberGenerator.GetBytes((2 * PieceLength) + 1_234);
        var torrent = _directory.File("hostile.torrent");
        await File.WriteAllBytesAsync(torrent, Metainfo(name, path, content));

        var parent = _directory.Folder("parent");
        var downloads = Path.Combine(parent, "downloads");
        Directory.CreateDirectory(downloads);
        await File.WriteAllTextAsync(Path.Combine(parent, "bystander.txt"), "untouched");
        var before = Snapshot(parent);

        await using var node = await OurNode.StartAsync(_directory.Folder("ours"));
        var error = await Assert.ThrowsAsync<NodeApiException>(() => node.GetTorrentAsync(torrent, downloadDirectory: downloads));
        Assert.Equal(JsonRpcErrorCodes.InvalidParams, error.Code);
        Assert.Contains("\"..\"", error.Message, StringComparison.Ordinal);
        Assert.Contains("leave its folder", error.Message, StringComparison.Ordinal);

        // Nothing listed, nothing written: not in the parent folder, not in the download folder, not in the node's own.
        Assert.Empty((await node.CallAsync("file_list", new()))!["items"]!.AsArray());
        Assert.Equal(before, Snapshot(parent));
        Assert.Empty(Directory.EnumerateFileSystemEntries(downloads));
        Assert.Empty(Directory.EnumerateFiles(_directory.Root, "escape.bin", SearchOption.AllDirectories));
        Assert.False(Directory.Exists(node.Downloads) && Directory.EnumerateFileSystemEntries(node.Downloads).Any());
    }

    // Relative path, length and last write time of everything under a folder.
    private static List<string> Snapshot(string folder) =>
    [
        .. Directory.EnumerateFileSystemEntries(folder, "*", SearchOption.AllDirectories)
            .Select(entry => new FileInfo(entry))
            .Select(entry => $"{Path.GetRelativePath(folder, entry.FullName)} {(entry.Attributes.HasFlag(FileAttributes.Directory) ? -1 : entry.Length)} {entry.LastWriteTimeUtc.Ticks}")
            .Order(StringComparer.Ordinal),
    ];

    // A .torrent with a correct info dictionary: multi-file with one file at path when path is given, else single-file.
    private static byte[] Metainfo(string name, string[]? path, byte[] content)
    {
        var pieces = new MemoryStream();
        for (var offset = 0; offset < content.Length; offset += PieceLength)
        {
#pragma warning disable CA5350 // BitTorrent v1 piece hashes are SHA-1.
            pieces.Write(SHA1.HashData(content.AsSpan(offset, Math.Min(PieceLength, content.Length - offset))));
#pragma warning restore CA5350
        }

        var info = new SortedDictionary<string, object>(StringComparer.Ordinal)
        {
            ["name"] = name,
            ["piece length"] = (long)PieceLength,
            ["pieces"] = pieces.ToArray(),
        };
        if (path is null)
        {
            info["length"] = (long)content.Length;
        }
        else
        {
            info["files"] = new List<object>
            {
                new SortedDictionary<string, object>(StringComparer.Ordinal)
                {
                    ["length"] = (long)content.Length,
                    ["path"] = path.Cast<object>().ToList(),
                },
            };
        }

        var output = new MemoryStream();
        Bencode(output, new SortedDictionary<string, object>(StringComparer.Ordinal) { ["info"] = info });
        return output.ToArray();
    }

    private static void Bencode(MemoryStream output, object value)
    {
        switch (value)
        {
            case long number:
                output.Write(Encoding.ASCII.GetBytes($"i{number}e"));
                break;
            case string text:
                Bencode(output, Encoding.UTF8.GetBytes(text));
                break;
            case byte[] bytes:
                output.Write(Encoding.ASCII.GetBytes($"{bytes.Length}:"));
                output.Write(bytes);
                break;
            case List<object> list:
                output.WriteByte((byte)'l');
                list.ForEach(item => Bencode(output, item));
                output.WriteByte((byte)'e');
                break;
            case SortedDictionary<string, object> dictionary:
                output.WriteByte((byte)'d');
                foreach (var (key, item) in dictionary)
                {
                    Bencode(output, key);
                    Bencode(output, item);
                }

                output.WriteByte((byte)'e');
                break;
            default:
                throw new ArgumentException($"Cannot bencode {value.GetType()}.", nameof(value));
        }
    }

    public void Dispose() => _directory.Dispose();
}
