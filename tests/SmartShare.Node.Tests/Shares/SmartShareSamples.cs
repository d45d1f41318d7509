using System.Text;
using FsCheck;
using FsCheck.Fluent;
using SmartShare.BitTorrent;
using SmartShare.Lbry.Blobs;
using SmartShare.Node.Shares;

namespace SmartShare.Node.Tests.Shares;

/// <summary>Valid shares to start from, by hand and at random.</summary>
internal static class SmartShareSamples
{
    public static readonly byte[] SdBlob = Encoding.UTF8.GetBytes("{\"stream_name\": \"holiday.mp4\", \"blobs\": []}");

    public static SmartShareFile Holiday(bool withSdBlob = true) => new()
    {
        Name = "holiday.mp4",
        Size = 104857600,
        SdHash = BlobHash.Compute(SdBlob),
        SdBlob = withSdBlob ? SdBlob : null,
        Contacts =
        [
            new SmartShareContact(new SmartShareEndpoint("192.168.1.20", 4444), new SmartShareEndpoint("192.168.1.20", 4444)),
            new SmartShareContact(new SmartShareEndpoint("2001:db8::5", 4444), new SmartShareEndpoint("2001:db8::5", 3333)),
        ],
        Bootstrap = [new SmartShareEndpoint("203.0.113.7", 4444)],
        Created = new DateTimeOffset(2026, 11, 21, 23, 30, 0, TimeSpan.Zero),
    };

    public static string Json(SmartShareFile file) => Encoding.UTF8.GetString(SmartShareCodec.Serialize(file));

    public static Arbitrary<SmartShareFile> Files() => FileGen().ToArbitrary();

    public static Arbitrary<byte[]> ValidFileBytes() => FileGen().Select(SmartShareCodec.Serialize).ToArbitrary();

    private static Gen<SmartShareFile> FileGen() =>
        from name in NameGen()
        from high in Gen.Choose(0, int.MaxValue)
        from low in Gen.Choose(0, int.MaxValue)
        from small in Gen.Elements(true, false)
        let size = small ? low : ((long)high << 31) | (uint)low
        from sdBlob in Gen.OneOf(Gen.Constant<byte[]?>(null), Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b)).Select(b => (byte[]?)b))
        from hashSeed in Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b))
        from isPrivate in Gen.Elements(true, false)
        from contacts in Gen.Choose(0, 4).SelectMany(n => Gen.ArrayOf(ContactGen(), n))
        from bootstrap in Gen.Choose(0, 3).SelectMany(n => Gen.ArrayOf(EndpointGen(), n))
        from seconds in Gen.Choose(0, int.MaxValue)
        from torrent in Gen.OneOf(Gen.Constant<SmartShareTorrent?>(null), TorrentGen().Select(t => (SmartShareTorrent?)t))
        select new SmartShareFile
        {
            Name = name,
            Size = size,
            SdHash = BlobHash.Compute(sdBlob ?? hashSeed),
            SdBlob = sdBlob,
            Private = isPrivate,
            Contacts = contacts,
            Bootstrap = bootstrap,
            Created = DateTimeOffset.FromUnixTimeSeconds(seconds),
            BitTorrent = torrent,
        };

    private static Gen<SmartShareTorrent> TorrentGen() =>
        from hash in Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b), InfoHash.Length)
        from peers in Gen.Choose(0, 3).SelectMany(n => Gen.ArrayOf(EndpointGen(), n))
        from nodes in Gen.Choose(0, 3).SelectMany(n => Gen.ArrayOf(EndpointGen(), n))
        select new SmartShareTorrent(InfoHash.FromBytes(hash), peers, nodes);

    // Letters from several scripts, spaces and punctuation that links must escape, and an emoji pair.
    private static Gen<string> NameGen() =>
        Gen.NonEmptyListOf(Gen.Elements("a", "Z", "9", " ", ".", "-", "&", "=", "%", "+", ",", "?", "#", "/", "é", "日本", "😀", "[", "\"", "\\"))
            .Select(parts => string.Concat(parts.Take(60)));

    private static Gen<SmartShareContact> ContactGen() =>
        Gen.OneOf(
            from dht in EndpointGen() from blob in EndpointGen() select new SmartShareContact(dht, blob),
            EndpointGen().Select(dht => new SmartShareContact(dht, null)),
            EndpointGen().Select(blob => new SmartShareContact(null, blob)));

    private static Gen<SmartShareEndpoint> EndpointGen() =>
        from host in Gen.OneOf(
            from a in Gen.Choose(1, 223)
            from b in Gen.Choose(0, 255)
            from c in Gen.Choose(0, 255)
            from d in Gen.Choose(0, 254)
            select $"{a}.{b}.{c}.{d}",
            from a in Gen.Choose(0x2000, 0x3fff)
            from b in Gen.Choose(0, 0xffff)
            from c in Gen.Choose(0, 0xffff)
            select $"{a:x}:{b:x}::{c:x}",
            Gen.Elements("::1", "fe80::1", "localhost", "seed.example.org", "my-nas.local", "a.b-c.d9"))
        from port in Gen.Choose(1, 65535)
        select new SmartShareEndpoint(host, port);
}
