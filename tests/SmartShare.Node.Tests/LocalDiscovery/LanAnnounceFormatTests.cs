using System.Text;
using FsCheck;
using FsCheck.Fluent;
using SmartShare.Networking;

namespace SmartShare.Node.Tests.LocalDiscovery;

/// <summary>The BEP 14 datagram (and its LBRY twin): the wire form libtorrent and Transmission use, and a decoder that refuses anything else with its typed error.</summary>
public class LanAnnounceFormatTests
{
    private const string Hash1 = "0123456789abcdef0123456789abcdef01234567";
    private const string Hash2 = "fedcba9876543210fedcba9876543210fedcba98";

    private static readonly LanAnnounceFormat Bt = LanAnnounceFormat.BitTorrent;

    [Fact]
    public void Encodes_the_bep_14_form_with_cookie_and_the_blank_lines()
    {
        var datagram = Assert.Single(Bt.Encode("239.192.152.143:6771", 6881, [Hash1], "1a2b3c"));

        Assert.Equal(
            "BT-SEARCH * HTTP/1.1\r\nHost: 239.192.152.143:6771\r\nPort: 6881\r\nInfohash: " + Hash1 + "\r\ncookie: 1a2b3c\r\n\r\n\r\n",
            Encoding.ASCII.GetString(datagram));
    }

    [Fact]
    public void Decodes_libtorrents_announce_with_an_upper_case_hash()
    {
        var text = "BT-SEARCH * HTTP/1.1\r\nHost: 239.192.152.143:6771\r\nPort: 51413\r\nInfohash: " + Hash2.ToUpperInvariant() + "\r\ncookie: 5f3e2d1\r\n\r\n\r\n";

        var announce = Bt.Decode(Encoding.ASCII.GetBytes(text));

        Assert.Equal(51413, announce.Port);
        Assert.Equal([Hash2], announce.Hashes);
        Assert.Equal("5f3e2d1", announce.Cookie);
    }

    [Fact]
    public void Decodes_transmissions_announce_without_a_cookie_and_with_bare_newlines()
    {
        var text = "BT-SEARCH * HTTP/1.1\nHost: 239.192.152.143:6771\nPort: 6881\nInfohash: " + Hash1 + "\n\n\n";

        var announce = Bt.Decode(Encoding.ASCII.GetBytes(text));

        Assert.Equal(6881, announce.Port);
        Assert.Null(announce.Cookie);
    }

    [Fact]
    public void Several_hashes_share_one_datagram_and_many_are_split_under_the_size_limit()
    {
        var two = Bt.Decode(Assert.Single(Bt.Encode("h", 1, [Hash1, Hash2], "c")));
        Assert.Equal([Hash1, Hash2], two.Hashes);

        var many = Enumerable.Range(0, 100).Select(i => i.ToString("x40", System.Globalization.CultureInfo.InvariantCulture)).ToList();
        var datagrams = Bt.Encode("[ff15::efc0:988f]:6771", 65535, many, "ffffffff");

        Assert.True(datagrams.Count > 1);
        Assert.All(datagrams, d => Assert.InRange(d.Length, 1, LanAnnounceFormat.MaxDatagramBytes));
        Assert.Equal(many, datagrams.SelectMany(d => Bt.Decode(d).Hashes));
    }

    [Fact]
    public void The_lbry_form_carries_sd_hashes_and_extra_headers()
    {
        var sd = new string('a', 96);
        var datagram = Assert.Single(LanAnnounceFormat.Lbry.Encode("239.192.152.144:6772", 4444, [sd], "9", [new("Dht-Port", "4444"), new("Kind", "want")]));

        var announce = LanAnnounceFormat.Lbry.Decode(datagram);

        Assert.Equal([sd], announce.Hashes);
        Assert.Equal("4444", announce.Header("dht-port"));
        Assert.Equal("want", announce.Header("Kind"));
        Assert.Throws<LanAnnounceFormatException>(() => Bt.Decode(datagram));
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\nPort: 1\r\nInfohash: " + Hash1 + "\r\n\r\n", "BT-SEARCH")]
    [InlineData("BT-SEARCH * HTTP/1.1\r\nInfohash: " + Hash1 + "\r\n\r\n", "no Port")]
    [InlineData("BT-SEARCH * HTTP/1.1\r\nPort: 0\r\nInfohash: " + Hash1 + "\r\n\r\n", "from 1 to 65535")]
    [InlineData("BT-SEARCH * HTTP/1.1\r\nPort: 70000\r\nInfohash: " + Hash1 + "\r\n\r\n", "from 1 to 65535")]
    [InlineData("BT-SEARCH * HTTP/1.1\r\nPort: -5\r\nInfohash: " + Hash1 + "\r\n\r\n", "from 1 to 65535")]
    [InlineData("BT-SEARCH * HTTP/1.1\r\nPort: 1\r\nInfohash: abc\r\n\r\n", "40 hex digits")]
    [InlineData("BT-SEARCH * HTTP/1.1\r\nPort: 1\r\nInfohash: " + "zz23456789abcdef0123456789abcdef01234567" + "\r\n\r\n", "40 hex digits")]
    [InlineData("BT-SEARCH * HTTP/1.1\r\nPort: 1\r\n\r\n", "no Infohash")]
    [InlineData("BT-SEARCH * HTTP/1.1\r\nPort: 1\r\nInfohash: " + Hash1 + "\r\n", "no blank line")]
    [InlineData("BT-SEARCH * HTTP/1.1\r\nPort 1\r\n\r\n", "colon")]
    [InlineData("", "BT-SEARCH")]
    public void Malformed_announces_are_refused_with_a_sentence(string text, string expected)
    {
        var error = Assert.Throws<LanAnnounceFormatException>(() => Bt.Decode(Encoding.ASCII.GetBytes(text)));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.IsAssignableFrom<FormatException>(error);
    }

    [Fact]
    public void Oversized_binary_and_header_flooding_datagrams_are_refused()
    {
        var valid = Bt.Encode("h", 1, [Hash1], "c")[0];
        Assert.Throws<LanAnnounceFormatException>(() => Bt.Decode(new byte[LanAnnounceFormat.MaxDatagramBytes + 1]));
        Assert.Throws<LanAnnounceFormatException>(() => Bt.Decode([.. valid[..10], 0x00, .. valid[10..]]));
        Assert.Throws<LanAnnounceFormatException>(() => Bt.Decode([.. valid[..10], 0xC3, 0xA9, .. valid[10..]]));

        var flood = "BT-SEARCH * HTTP/1.1\r\nPort: 1\r\n" + string.Concat(Enumerable.Repeat("X: y\r\n", LanAnnounceFormat.MaxHeaders + 1)) + "\r\n";
        Assert.Contains("headers", Assert.Throws<LanAnnounceFormatException>(() => Bt.Decode(Encoding.ASCII.GetBytes(flood))).Message, StringComparison.Ordinal);
        var longLine = "BT-SEARCH * HTTP/1.1\r\nPort: 1\r\nX: " + new string('y', LanAnnounceFormat.MaxLineLength) + "\r\n\r\n";
        Assert.Contains("characters", Assert.Throws<LanAnnounceFormatException>(() => Bt.Decode(Encoding.ASCII.GetBytes(longLine))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Random_bytes_raise_only_the_format_exception()
    {
        var prop = Prop.ForAll(ArbMap.Default.ArbFor<byte[]>(), bytes =>
        {
            OnlyFormatErrors(() => Bt.Decode(bytes));
            OnlyFormatErrors(() => LanAnnounceFormat.Lbry.Decode(bytes));
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(3000), prop);
    }

    [Fact]
    public void Mutated_valid_announces_raise_only_the_format_exception()
    {
        var valid = Bt.Encode("239.192.152.143:6771", 6881, [Hash1, Hash2], "abc")[0];
        var prop = Prop.ForAll(Gen.Choose(0, valid.Length - 1).ToArbitrary(), Gen.Choose(0, 255).ToArbitrary(), Gen.Choose(0, 2).ToArbitrary(), (at, value, how) =>
        {
            byte[] mutated = how switch
            {
                0 => [.. valid[..at], (byte)value, .. valid[(at + 1)..]],
                1 => [.. valid[..at], .. valid[(at + 1)..]],
                _ => [.. valid[..at], (byte)value, .. valid[at..]],
            };
            OnlyFormatErrors(() => Bt.Decode(mutated));
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(3000), prop);
    }

    [Fact]
    public void Encoded_announces_decode_to_what_was_sent()
    {
        var hashes = Gen.ArrayOf(Gen.Elements("0123456789abcdef".ToCharArray()), 40).Select(chars => new string(chars)).ListOf().Where(list => list.Count > 0);
        var prop = Prop.ForAll(hashes.ToArbitrary(), Gen.Choose(1, 65535).ToArbitrary(), (list, port) =>
        {
            var decoded = Bt.Encode("h", port, list, "c1").Select(d => Bt.Decode(d)).ToList();
            Assert.All(decoded, a => Assert.Equal(port, a.Port));
            Assert.Equal(list.Distinct().ToList(), decoded.SelectMany(a => a.Hashes).Distinct().ToList());
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(300), prop);
    }

    private static void OnlyFormatErrors(Action decode)
    {
        try
        {
            decode();
        }
        catch (LanAnnounceFormatException)
        {
        }
    }
}
