using SmartShare.BitTorrent;
using SmartShare.Lbry.Blobs;
using SmartShare.Node.Shares;

namespace SmartShare.Node.Tests.Shares;

public sealed class SmartShareLinkTests
{
    private static readonly string Hash = BlobHash.Compute(SmartShareSamples.SdBlob).ToString();

    [Fact]
    public void A_link_reads_back_as_the_share_without_its_sd_blob()
    {
        var file = SmartShareSamples.Holiday();

        var link = SmartShareCodec.ToLink(file);

        Assert.Equal(file with { SdBlob = null }, SmartShareCodec.ParseLink(link));
        Assert.DoesNotContain(Convert.ToBase64String(SmartShareSamples.SdBlob), link, StringComparison.Ordinal);
        Assert.DoesNotContain(Uri.EscapeDataString(Convert.ToBase64String(SmartShareSamples.SdBlob)), link, StringComparison.Ordinal);
    }

    [Fact]
    public void A_link_has_the_documented_form()
    {
        var file = SmartShareSamples.Holiday() with
        {
            Name = "my holiday & more.mp4",
            Private = true,
            Contacts = [new SmartShareContact(null, new SmartShareEndpoint("1.2.3.4", 4444))],
            Bootstrap = [new SmartShareEndpoint("::1", 4444)],
        };

        var link = SmartShareCodec.ToLink(file);

        Assert.Equal(
            $"smartshare:?v=1&sd={Hash}&dn=my%20holiday%20%26%20more.mp4&xl=104857600&c=,1.2.3.4%3A4444&b=%5B%3A%3A1%5D%3A4444&p=1&t=1795303800",
            link);
        Assert.Equal(file with { SdBlob = null }, SmartShareCodec.ParseLink(link));
    }

    [Fact]
    public void Parameters_may_come_in_any_order_and_unknown_ones_are_ignored()
    {
        var link = $"SmartShare:?t=1795303800&x.future=1&c=192.168.1.20%3A4444,&sd={Hash}&&dn=a&v=1&xl=5";

        var file = SmartShareCodec.ParseLink(link);

        Assert.Equal("a", file.Name);
        Assert.Equal(5, file.Size);
        Assert.Equal(new SmartShareContact(new SmartShareEndpoint("192.168.1.20", 4444), null), Assert.Single(file.Contacts));
        Assert.Equal(new DateTimeOffset(2026, 11, 21, 23, 30, 0, TimeSpan.Zero), file.Created);
    }

    [Fact]
    public void A_link_with_only_the_version_and_sd_hash_names_the_share_by_its_hash()
    {
        var file = SmartShareCodec.ParseLink($"smartshare:?v=1&sd={Hash}");

        Assert.Equal(Hash, file.Name);
        Assert.Equal(0, file.Size);
        Assert.Empty(file.Contacts);
    }

    [Fact]
    public void A_future_version_is_refused_with_the_update_sentence()
    {
        var error = Assert.Throws<SmartShareFormatException>(() => SmartShareCodec.ParseLink("smartshare:?v=2&sd=new-style"));

        Assert.Equal("This smartshare: link is format version 2; this SmartShare reads version 1. Update SmartShare.", error.Message);
    }

    [Theory]
    [InlineData("smartshare:?v=1&sd=x", true)]
    [InlineData("SMARTSHARE:?v=1", true)]
    [InlineData("smartshare", false)]
    [InlineData("magnet:?xt=urn:btih:00", false)]
    [InlineData("", false)]
    public void Recognizes_a_link_by_its_scheme_in_any_case(string text, bool expected) =>
        Assert.Equal(expected, SmartShareCodec.LooksLikeLink(text));

    public static TheoryData<string, string> Rejections() => new()
    {
        { "magnet:?v=1", "does not start with smartshare:" },
        { "smartshare:v=1", "has no parameters" },
        { "smartshare:", "has no parameters" },
        { $"smartshare:?sd={Hash}", "no format version parameter v" },
        { $"smartshare:?v=one&sd={Hash}", "version parameter v is 'one'" },
        { $"smartshare:?v=0&sd={Hash}", "version parameter v is 0" },
        { $"smartshare:?v=-1&sd={Hash}", "version parameter v is '-1'" },
        { "smartshare:?v=1", "no sd hash parameter sd" },
        { "smartshare:?v=1&sd=abc", "sd hash parameter sd 'abc'" },
        { $"smartshare:?v=1&sd={Hash.ToUpperInvariant()}", "sd hash parameter sd" },
        { $"smartshare:?v=1&v=1&sd={Hash}", "parameter v more than once" },
        { $"smartshare:?v=1&sd={Hash}&sd={Hash}", "parameter sd more than once" },
        { $"smartshare:?v=1&sd={Hash}&dn=a&dn=b", "parameter dn more than once" },
        { $"smartshare:?v=1&sd={Hash}&xl=1&xl=1", "parameter xl more than once" },
        { $"smartshare:?v=1&sd={Hash}&p=1&p=1", "parameter p more than once" },
        { $"smartshare:?v=1&sd={Hash}&t=1&t=1", "parameter t more than once" },
        { $"smartshare:?v=1&sd={Hash}&novalue", "parameter 'novalue' is not name=value" },
        { $"smartshare:?v=1&sd={Hash}&dn=", "name is empty" },
        { $"smartshare:?v=1&sd={Hash}&dn=a%07b", "name holds the control character U+0007" },
        { $"smartshare:?v=1&sd={Hash}&xl=-5", "size is -5" },
        { $"smartshare:?v=1&sd={Hash}&xl=big", "size parameter xl is 'big'" },
        { $"smartshare:?v=1&sd={Hash}&p=yes", "private parameter p is 'yes'" },
        { $"smartshare:?v=1&sd={Hash}&t=soon", "created time parameter t is 'soon'" },
        { $"smartshare:?v=1&sd={Hash}&t=999999999999999", "created time parameter t is '999999999999999'" },
        { $"smartshare:?v=1&sd={Hash}&c=,", "contacts[0] has neither a dht nor a blob endpoint" },
        { $"smartshare:?v=1&sd={Hash}&c=1.2.3.4%3A1", "contacts[0] (c) '1.2.3.4%3A1' is not two endpoints" },
        { $"smartshare:?v=1&sd={Hash}&c=1.2.3.4%3A1,,", "contacts[0] (c)" },
        { $"smartshare:?v=1&sd={Hash}&c=1.2.3.4%3A1,&c=0.0.0.0%3A1,", "contacts[1].dht endpoint (c) '0.0.0.0:1' is an unspecified address" },
        { $"smartshare:?v=1&sd={Hash}&c=,%5Bff02%3A%3A1%5D%3A1", "contacts[0].blob endpoint (c) '[ff02::1]:1' is a multicast address" },
        { $"smartshare:?v=1&sd={Hash}&b=255.255.255.255%3A1", "bootstrap[0] endpoint (b) '255.255.255.255:1' is the broadcast address" },
        { $"smartshare:?v=1&sd={Hash}&b=host", "bootstrap[0] endpoint (b) 'host' has no port" },
        { $"smartshare:?v=1&sd={Hash}" + string.Concat(Enumerable.Repeat("&c=1.2.3.4%3A1,", 33)), "33 contacts (c)" },
        { $"smartshare:?v=1&sd={Hash}" + string.Concat(Enumerable.Repeat("&b=1.2.3.4%3A1", 33)), "33 bootstrap nodes (b)" },
        { $"smartshare:?v=1&sd={Hash}&dn=" + new string('a', 8192), "link is 8" },
        { $"smartshare:?v=1&sd={Hash}&bt=abc", "info hash parameter bt 'abc'" },
        { $"smartshare:?v=1&sd={Hash}&bt={new string('a', 40)}&bt={new string('a', 40)}", "parameter bt more than once" },
        { $"smartshare:?v=1&sd={Hash}&bp=1.2.3.4%3A1", "(bp or bd) without the info hash parameter bt" },
        { $"smartshare:?v=1&sd={Hash}&bt={new string('a', 40)}&bd=0.0.0.0%3A1", "bittorrent.dht[0] endpoint (bd) '0.0.0.0:1' is an unspecified address" },
        { $"smartshare:?v=1&sd={Hash}&bt={new string('a', 40)}" + string.Concat(Enumerable.Repeat("&bp=1.2.3.4%3A1", 33)), "33 bittorrent.peers endpoints (bp)" },
    };

    [Fact]
    public void A_link_carries_the_torrent_form_with_its_peers_and_dht_nodes()
    {
        var torrent = new SmartShareTorrent(
            InfoHash.Parse("0123456789abcdef0123456789abcdef01234567"),
            [new SmartShareEndpoint("192.168.1.20", 6881)],
            [new SmartShareEndpoint("2001:db8::5", 6881)]);
        var file = SmartShareSamples.Holiday(withSdBlob: false) with { BitTorrent = torrent };

        var link = SmartShareCodec.ToLink(file);

        Assert.EndsWith("&bt=0123456789abcdef0123456789abcdef01234567&bp=192.168.1.20%3A6881&bd=%5B2001%3Adb8%3A%3A5%5D%3A6881", link, StringComparison.Ordinal);
        Assert.Equal(file, SmartShareCodec.ParseLink(link));
    }

    [Theory]
    [MemberData(nameof(Rejections))]
    public void Rejects_a_wrong_link_with_a_sentence_naming_the_parameter(string link, string named)
    {
        var error = Assert.Throws<SmartShareFormatException>(() => SmartShareCodec.ParseLink(link));

        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_share_too_large_for_a_link_is_refused_with_advice_to_send_the_file()
    {
        var longHost = string.Join('.', Enumerable.Repeat(new string('h', 60), 4));
        var file = SmartShareSamples.Holiday() with
        {
            Contacts = [.. Enumerable.Repeat(new SmartShareContact(new SmartShareEndpoint(longHost, 1), new SmartShareEndpoint(longHost, 2)), 32)],
        };

        var error = Assert.Throws<SmartShareFormatException>(() => SmartShareCodec.ToLink(file));

        Assert.Contains("send the .smartshare file instead", error.Message, StringComparison.Ordinal);
        Assert.Equal(file, SmartShareCodec.Parse(SmartShareCodec.Serialize(file)));
    }
}
