using System.Net;
using FsCheck;
using FsCheck.Fluent;

namespace SmartShare.BitTorrent.Tests.Metadata;

public class MagnetLinkTests
{
    private static readonly InfoHash Hash = InfoHash.Parse("c12fe1c06bba254a9dc9f519b335aa7c1367a88a");

    [Fact]
    public void Built_links_parse_back_to_the_same_facts()
    {
        var trackers = new[] { "udp://tracker.example:1337/announce", "http://t.example/a?x=1&y=2" };
        var peers = new[] { new IPEndPoint(IPAddress.Parse("10.0.0.1"), 6881), new IPEndPoint(IPAddress.Parse("2001:db8::1"), 51413) };
        var nodes = new[] { new DnsEndPoint("router.example.org", 6881), new DnsEndPoint("2001:db8::2", 4000), new DnsEndPoint("192.0.2.7", 1) };

        var link = MagnetLink.Build(Hash, "A name & more/+ü", 12345, trackers, peers, nodes);
        var magnet = MagnetLink.Parse(link);

        Assert.Equal(Hash, magnet.InfoHash);
        Assert.Equal("A name & more/+ü", magnet.Name);
        Assert.Equal(12345, magnet.Size);
        Assert.Equal(trackers, magnet.Trackers);
        Assert.Equal(peers, magnet.Peers);
        Assert.Equal(nodes, magnet.DhtNodes);
    }

    [Fact]
    public void Existing_callers_without_dht_nodes_still_build_the_old_form()
    {
        Assert.Equal("magnet:?xt=urn:btih:" + Hash + "&dn=x&xl=5", MagnetLink.Build(Hash, "x", 5));
    }

    [Theory]
    [InlineData("magnet:?xt=urn:btih:C12FE1C06BBA254A9DC9F519B335AA7C1367A88A")]
    [InlineData("MAGNET:?XT=URN:BTIH:c12fe1c06bba254a9dc9f519b335aa7c1367a88a")]
    [InlineData("magnet:?xt=urn:btih:YEX6DQDLXISUVHOJ6UM3GNNKPQJWPKEK")]
    [InlineData("magnet:?xt=urn:btih:yex6dqdlxisuvhoj6um3gnnkpqjwpkek")]
    [InlineData("  magnet:?dn=x&xt.1=urn:btih:c12fe1c06bba254a9dc9f519b335aa7c1367a88a&xt.2=urn:btmh:1220abcd  ")]
    public void Hex_and_base32_hashes_in_any_case_are_read(string link)
    {
        Assert.Equal(Hash, MagnetLink.Parse(link).InfoHash);
    }

    [Fact]
    public void Numbered_trackers_plus_names_and_peers_are_read_and_bad_hints_skipped()
    {
        var magnet = MagnetLink.Parse(
            "magnet:?xt=urn:btih:" + Hash + "&dn=My+File%20x&tr.1=udp%3A%2F%2Fa.example%3A80&tr.2=http://b.example/ann&tr=ftp://nope"
            + "&tr=udp%3A%2F%2Fa.example%3A80&x.pe=1.2.3.4:5&x.pe=%5B::1%5D:7&x.pe=1.2.3.4&x.pe=host.example:5&x.pe=1.2.3.4:0"
            + "&dht=router.example:6881&dht=nohost&dht=[::1]:9&dht=a:b:1&unknown=1");

        Assert.Equal("My File x", magnet.Name);
        Assert.Equal(["udp://a.example:80", "http://b.example/ann"], magnet.Trackers);
        Assert.Equal([IPEndPoint.Parse("1.2.3.4:5"), IPEndPoint.Parse("[::1]:7")], magnet.Peers);
        Assert.Equal([new DnsEndPoint("router.example", 6881), new DnsEndPoint("::1", 9)], magnet.DhtNodes);
        Assert.Null(magnet.Size);
    }

    [Theory]
    [InlineData("http://example.com/", "not a magnet link")]
    [InlineData("magnet:?dn=x", "no BitTorrent info hash")]
    [InlineData("magnet:?xt=urn:btmh:1220c12fe1c06bba254a9dc9f519b335aa7c1367a88ac12fe1c06bba254a9dc9f5", "cannot download yet")]
    [InlineData("magnet:?xt=urn:btih:c12fe1c06bba254a9dc9f519b335aa7c1367a88", "40 hex or 32 base32")]
    [InlineData("magnet:?xt=urn:btih:z12fe1c06bba254a9dc9f519b335aa7c1367a88a", "not 40 hex digits")]
    [InlineData("magnet:?xt=urn:btih:YEX6DQDLXISUVHOJ6UM3GNNKPQJWPKE1", "not 32 base32")]
    [InlineData("magnet:?xt=urn:btih:c12fe1c06bba254a9dc9f519b335aa7c1367a88a&xl=-1", "whole number")]
    [InlineData("magnet:?xt=urn:btih:c12fe1c06bba254a9dc9f519b335aa7c1367a88a&xt=urn:btih:0000000000000000000000000000000000000000", "two different")]
    public void Unusable_links_say_why(string link, string reason)
    {
        var e = Assert.Throws<MagnetFormatException>(() => MagnetLink.Parse(link));
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
        Assert.False(MagnetLink.TryParse(link, out _));
    }

    [Fact]
    public void Input_and_lists_are_bounded()
    {
        Assert.Throws<MagnetFormatException>(() => MagnetLink.Parse("magnet:?xt=urn:btih:" + Hash + "&dn=" + new string('a', MagnetLink.MaxLength)));
        var many = string.Concat(Enumerable.Range(0, 300).Select(i => $"&tr=http://t{i}.example/&x.pe=10.0.{i / 256}.{i % 256}:1&dht=n{i}.example:1"));
        var magnet = MagnetLink.Parse("magnet:?xt=urn:btih:" + Hash + many);
        Assert.Equal(MagnetLink.MaxEntries, magnet.Trackers.Count);
        Assert.Equal(MagnetLink.MaxEntries, magnet.Peers.Count);
        Assert.Equal(MagnetLink.MaxEntries, magnet.DhtNodes.Count);
    }

    [Fact]
    public void Random_strings_parse_or_throw_only_the_magnet_exception()
    {
        var tails = Gen.ArrayOf(Gen.Elements("xt=urn:btih:", "&", "=", "%", "%2", "tr", "x.pe", "dht", ":", "[", "]", "dn", "xl", "1", "a", "+", "c12fe1c06bba254a9dc9f519b335aa7c1367a88a", "YEX6DQDLXISUVHOJ6UM3GNNKPQJWPKEK", "urn:btmh:", "\u00e9", "%ff"))
            .Select(parts => "magnet:?" + string.Concat(parts));
        var inputs = Gen.OneOf(ArbMap.Default.ArbFor<string>().Generator.Where(s => s is not null), tails);
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(3000), Prop.ForAll(inputs.ToArbitrary(), text =>
        {
            try
            {
                MagnetLink.Parse(text);
            }
            catch (MagnetFormatException)
            {
            }

            return true;
        }));
    }

    [Fact]
    public void Random_names_trackers_and_sizes_round_trip()
    {
        var samples =
            from bytes in Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b), 20)
            from name in ArbMap.Default.ArbFor<string>().Generator
            from size in Gen.Choose(0, int.MaxValue)
            from path in ArbMap.Default.ArbFor<string>().Generator
            select (Hash: InfoHash.FromBytes(bytes), Name: string.IsNullOrEmpty(name) ? null : name, Size: (long)size * 3, Tracker: "http://t.example/" + Uri.EscapeDataString(path ?? string.Empty));

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(1000), Prop.ForAll(samples.ToArbitrary(), sample =>
        {
            var magnet = MagnetLink.Parse(MagnetLink.Build(sample.Hash, sample.Name, sample.Size, [sample.Tracker]));
            return magnet.InfoHash == sample.Hash && magnet.Size == sample.Size
                && magnet.Name == (sample.Name is null ? null : Uri.UnescapeDataString(Uri.EscapeDataString(sample.Name)))
                && magnet.Trackers.SequenceEqual([sample.Tracker]);
        }));
    }
}
