using FsCheck;
using FsCheck.Fluent;
using SmartShare.BitTorrent.Metainfo;
using static SmartShare.BitTorrent.Tests.Metainfo.TorrentBytes;

namespace SmartShare.BitTorrent.Tests.Metainfo;

/// <summary>Whatever the bytes, parsing returns a torrent or throws <see cref="TorrentFormatException"/>, nothing else.</summary>
public class TorrentParserPropertyTests
{
    private static readonly byte[] Alphabet = "ilde0123456789:-/.x"u8.ToArray().Concat(new byte[] { 0, 0x7f, 0xc3, 0xff }).ToArray();

    private static readonly byte[][] ValidTorrents =
    [
        SingleFileTorrent(),
        Encode(Outer(MultiFileInfo("folder", (["a", "b.txt"], 20_000), (["c"], 0), (["d"], 100)))),
        Encode(new Dictionary<string, object>
        {
            ["announce"] = "http://t/a",
            ["announce-list"] = new object[] { new object[] { "http://t/a" } },
            ["nodes"] = new object[] { new object[] { "h", 1 } },
            ["url-list"] = "http://w/",
            ["info"] = SingleFileInfo(length: 1),
        }),
    ];

    [Fact]
    public void Random_bytes_parse_or_throw_only_the_format_exception()
    {
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(3000), Prop.ForAll(ArbMap.Default.ArbFor<byte[]>(), ParsesOrRejects));
    }

    [Fact]
    public void Mutated_valid_torrents_parse_or_throw_only_the_format_exception()
    {
        var mutated =
            from source in Gen.Elements(ValidTorrents)
            from count in Gen.Choose(1, 4)
            from edits in Gen.ArrayOf(
                from kind in Gen.Choose(0, 3)
                from position in Gen.Choose(0, source.Length)
                from replacement in Gen.Elements(Alphabet)
                select (kind, position, replacement), count)
            select Mutate(source, edits);

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(5000), Prop.ForAll(mutated.ToArbitrary(), ParsesOrRejects));
    }

    private static bool ParsesOrRejects(byte[] input)
    {
        try
        {
            var torrent = TorrentParser.Parse(input);

            // Whatever got through must satisfy the invariants the rest of the node relies on.
            return torrent.Info.TotalLength >= 1
                && torrent.Info.Files.Sum(file => file.Length) == torrent.Info.TotalLength
                && torrent.Info.Files.All(file => file.Path.All(component => !TorrentPaths.IsUnsafe(component, out _)));
        }
        catch (TorrentFormatException)
        {
            return true;
        }
    }

    private static byte[] Mutate(byte[] source, (int Kind, int Position, byte Replacement)[] edits)
    {
        var bytes = source.ToList();
        foreach (var (kind, position, replacement) in edits)
        {
            var at = Math.Min(position, bytes.Count);
            switch (kind)
            {
                case 0 when at < bytes.Count:
                    bytes[at] = replacement;
                    break;
                case 1:
                    bytes.Insert(at, replacement);
                    break;
                case 2 when at < bytes.Count:
                    bytes.RemoveAt(at);
                    break;
                default:
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
            }
        }

        return [.. bytes];
    }
}
