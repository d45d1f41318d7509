using System.Text;
using System.Text.Json.Nodes;
using SmartShare.BitTorrent;
using SmartShare.Lbry.Blobs;
using SmartShare.Node.Shares;

namespace SmartShare.Node.Tests.Shares;

public sealed class SmartShareCodecTests
{
    private static readonly string ValidHash = BlobHash.Compute(SmartShareSamples.SdBlob).ToString();

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_file_reads_back_as_the_share_that_was_written(bool withSdBlob)
    {
        var file = SmartShareSamples.Holiday(withSdBlob);

        var read = SmartShareCodec.Parse(SmartShareCodec.Serialize(file));

        Assert.Equal(file, read);
        Assert.Equal(withSdBlob, read.SdBlob is not null);
    }

    [Fact]
    public void A_private_share_with_dns_hosts_and_one_sided_contacts_round_trips()
    {
        var file = SmartShareSamples.Holiday() with
        {
            Private = true,
            Contacts =
            [
                new SmartShareContact(new SmartShareEndpoint("seed.example.org", 4444), null),
                new SmartShareContact(null, new SmartShareEndpoint("::1", 3333)),
                new SmartShareContact(new SmartShareEndpoint("127.0.0.1", 4444), new SmartShareEndpoint("10.0.0.2", 3333)),
            ],
            Bootstrap = [new SmartShareEndpoint("dht.example.net", 4444), new SmartShareEndpoint("2001:db8::7", 4444)],
        };

        Assert.Equal(file, SmartShareCodec.Parse(SmartShareCodec.Serialize(file)));
    }

    [Fact]
    public void The_written_file_has_the_documented_keys_in_a_stable_order()
    {
        var json = SmartShareSamples.Json(SmartShareSamples.Holiday());

        var keys = JsonNode.Parse(json)!.AsObject().Select(p => p.Key);

        Assert.Equal(["smartshare", "name", "size", "created", "lbry", "private", "contacts", "bootstrap"], keys);
        Assert.Contains("\"created\": \"2026-11-21T23:30:00Z\"", json, StringComparison.Ordinal);
        Assert.Contains("\"dht\": \"[2001:db8::5]:4444\"", json, StringComparison.Ordinal);
        Assert.Equal(json, SmartShareSamples.Json(SmartShareCodec.Parse(Encoding.UTF8.GetBytes(json))));
    }

    [Fact]
    public void The_documented_example_reads()
    {
        var json = $$"""
            {
              "smartshare": 1,
              "name": "holiday.mp4",
              "size": 104857600,
              "created": "2026-11-21T23:30:00Z",
              "lbry": { "sd_hash": "{{ValidHash}}" },
              "private": false,
              "contacts": [ { "dht": "192.168.1.20:4444", "blob": "192.168.1.20:4444" }, { "dht": "[2001:db8::5]:4444", "blob": "[2001:db8::5]:3333" } ],
              "bootstrap": [ "203.0.113.7:4444" ]
            }
            """;

        Assert.Equal(SmartShareSamples.Holiday(withSdBlob: false), SmartShareCodec.Parse(Encoding.UTF8.GetBytes(json)));
    }

    [Fact]
    public void Unknown_top_level_keys_and_unknown_bittorrent_keys_are_ignored()
    {
        var node = Node(SmartShareSamples.Holiday());
        node["bittorrent"] = new JsonObject { ["info_hash"] = new string('a', 40), ["magnet"] = "magnet:?xt=urn:btih:00", ["future"] = 1 };
        node["comment"] = new JsonArray(1, 2, 3);

        var read = Parse(node);

        Assert.Equal(SmartShareSamples.Holiday() with { BitTorrent = new SmartShareTorrent(InfoHash.Parse(new string('a', 40)), [], []) }, read);
    }

    [Fact]
    public void A_share_with_its_torrent_form_round_trips_and_writes_the_bittorrent_object_last()
    {
        var file = SmartShareSamples.Holiday() with
        {
            BitTorrent = new SmartShareTorrent(
                InfoHash.Parse("0123456789abcdef0123456789abcdef01234567"),
                [new SmartShareEndpoint("192.168.1.20", 6881)],
                [new SmartShareEndpoint("192.168.1.20", 6881), new SmartShareEndpoint("2001:db8::5", 6881)]),
        };

        var json = SmartShareSamples.Json(file);

        Assert.Equal(file, SmartShareCodec.Parse(Encoding.UTF8.GetBytes(json)));
        Assert.Equal("bittorrent", JsonNode.Parse(json)!.AsObject().Last().Key);
        Assert.Contains("\"info_hash\": \"0123456789abcdef0123456789abcdef01234567\"", json, StringComparison.Ordinal);
        Assert.Contains("\"[2001:db8::5]:6881\"", json, StringComparison.Ordinal);
    }

    [Fact]
    public void Optional_fields_may_be_left_out()
    {
        var json = $$$"""{"smartshare":1,"name":"n","size":0,"created":"2026-01-01T00:00:00+01:00","lbry":{"sd_hash":"{{{ValidHash}}}"}}""";

        var file = SmartShareCodec.Parse(Encoding.UTF8.GetBytes(json));

        Assert.False(file.Private);
        Assert.Empty(file.Contacts);
        Assert.Empty(file.Bootstrap);
        Assert.Null(file.SdBlob);
        Assert.Equal(new DateTimeOffset(2025, 12, 31, 23, 0, 0, TimeSpan.Zero), file.Created);
    }

    [Fact]
    public void A_future_version_is_refused_with_the_update_sentence()
    {
        // Everything else is wrong too: the version decides first, because version 2 may mean other fields.
        var error = Assert.Throws<SmartShareFormatException>(() => SmartShareCodec.Parse("""{"smartshare":2,"name":5}"""u8));

        Assert.Equal("This .smartshare file is format version 2; this SmartShare reads version 1. Update SmartShare.", error.Message);
    }

    [Fact]
    public void Rejects_an_embedded_sd_blob_that_does_not_hash_to_the_sd_hash()
    {
        var node = Node(SmartShareSamples.Holiday());
        node["lbry"]!["sd_blob"] = Convert.ToBase64String(Encoding.UTF8.GetBytes("something else"));

        var error = Assert.Throws<SmartShareFormatException>(() => Parse(node));

        Assert.StartsWith("The embedded sd blob hashes to ", error.Message, StringComparison.Ordinal);
        Assert.EndsWith($"not to the sd hash {ValidHash}; the file was altered or damaged.", error.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string, string> Rejections() => new()
    {
        { """{"smartshare":"1"}""", "\"smartshare\"" },
        { """{"smartshare":1.5}""", "\"smartshare\"" },
        { """{"smartshare":0}""", "\"smartshare\"" },
        { """{"smartshare":-3}""", "\"smartshare\"" },
        { """{"name":"x"}""", "\"smartshare\"" },
        { "[1]", "JSON object" },
        { "\"text\"", "JSON object" },
        { "", "not valid JSON" },
        { "{", "not valid JSON" },
        { """{"smartshare":1,"smartshare":1}""", "not valid JSON" },
        { """{"smartshare":1} // comment""", "not valid JSON" },
        { """{"smartshare":1,"x":[[[[[[[[[[1]]]]]]]]]]}""", "not valid JSON" },
    };

    [Theory]
    [MemberData(nameof(Rejections))]
    public void Rejects_a_document_that_is_not_a_version_one_object(string json, string named)
    {
        var error = Assert.Throws<SmartShareFormatException>(() => SmartShareCodec.Parse(Encoding.UTF8.GetBytes(json)));

        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string, string, string> FieldRejections() => new()
    {
        // path to set, JSON value, what the sentence must name
        { "name", "\"\"", "name is empty" },
        { "name", "null", "no name field" },
        { "name", "7", "name field is the number 7" },
        { "name", "\"a\\u0007b\"", "name holds the control character U+0007" },
        { "name", "\"evil\\u202Egpj.exe\"", "name holds the control character U+202E" },
        { "name", "\"" + new string('x', 1025) + "\"", "is 1025 bytes of UTF-8" },
        { "size", "-1", "size is -1" },
        { "size", "1.5", "size field is the number 1.5" },
        { "size", "\"12\"", "size field is the string" },
        { "size", "99999999999999999999", "size field is the number 99999999999999999999" },
        { "created", "\"yesterday\"", "created time is the string \"yesterday\"" },
        { "created", "12", "created time is the number 12" },
        { "lbry", "[]", "lbry field is an array" },
        { "lbry.sd_hash", "\"ABC\"", "sd hash (lbry.sd_hash) 'ABC'" },
        { "lbry.sd_hash", "\"" + new string('A', 96) + "\"", "lbry.sd_hash" },
        { "lbry.sd_blob", "\"***\"", "sd blob (lbry.sd_blob) '***' is not base64" },
        { "lbry.sd_blob", "3", "lbry.sd_blob field is the number 3" },
        { "lbry.sd_blob", "\"" + new string('A', 2_900_000) + "\"", "lbry.sd_blob) is 2900000 characters" },
        { "private", "\"yes\"", "private field is the string \"yes\"" },
        { "contacts", "{}", "contacts field is an object" },
        { "contacts", "[{}]", "contacts[0] has neither a dht nor a blob endpoint" },
        { "contacts", "[{\"dht\":null,\"blob\":null}]", "contacts[0] has neither" },
        { "contacts", "[\"1.2.3.4:5\"]", "contact contacts[0] is the string" },
        { "contacts", "[" + string.Join(',', Enumerable.Repeat("{\"dht\":\"1.2.3.4:5\"}", 33)) + "]", "33 contacts entries" },
        { "contacts", "[{\"dht\":\"0.0.0.0:4444\"}]", "contacts[0].dht endpoint '0.0.0.0:4444' is an unspecified address" },
        { "contacts", "[{\"blob\":\"[::]:4444\"}]", "contacts[0].blob endpoint '[::]:4444' is the unspecified address" },
        { "contacts", "[{\"dht\":\"1.2.3.4:1\"},{\"blob\":\"255.255.255.255:4444\"}]", "contacts[1].blob endpoint '255.255.255.255:4444' is the broadcast address" },
        { "contacts", "[{\"blob\":\"239.1.2.3:4444\"}]", "contacts[0].blob endpoint '239.1.2.3:4444' is a multicast address" },
        { "contacts", "[{\"blob\":\"[ff02::1]:4444\"}]", "contacts[0].blob endpoint '[ff02::1]:4444' is a multicast address" },
        { "contacts", "[{\"blob\":\"[::ffff:224.0.0.1]:4444\"}]", "is a multicast address" },
        { "contacts", "[{\"dht\":\"1.2.3.4:0\"}]", "contacts[0].dht endpoint '1.2.3.4:0' has the port 0" },
        { "contacts", "[{\"dht\":\"1.2.3.4:65536\"}]", "'1.2.3.4:65536' has the port 65536" },
        { "contacts", "[{\"dht\":\"1.2.3.4\"}]", "contacts[0].dht endpoint '1.2.3.4' has no port" },
        { "bootstrap", "[\"bad_host:4444\"]", "bootstrap[0] endpoint 'bad_host:4444' has a host that is neither" },
        { "bootstrap", "[\"127.1:4444\"]", "bootstrap[0] endpoint '127.1:4444' is not a valid IPv4 address" },
        { "bootstrap", "[\"2001:db8::1:4444\"]", "bootstrap[0] endpoint '2001:db8::1:4444' is an IPv6 address without brackets" },
        { "bootstrap", "[\"[fe80::1%eth0]:4444\"]", "bootstrap[0] endpoint '[fe80::1%eth0]:4444' does not hold a valid IPv6 address" },
        { "bootstrap", "[\"-a.example:4444\"]", "bootstrap[0] endpoint" },
        { "bootstrap", "[\"" + new string('a', 64) + ".example:4444\"]", "bootstrap[0] endpoint" },
        { "bootstrap", "[4444]", "bootstrap[0] field is the number 4444" },
        { "bootstrap", "[" + string.Join(',', Enumerable.Repeat("\"1.2.3.4:5\"", 33)) + "]", "33 bootstrap entries" },
        { "bittorrent", "[]", "bittorrent field is an array" },
        { "bittorrent", "{}", "no bittorrent.info_hash field" },
        { "bittorrent", "{\"info_hash\":\"00\"}", "info hash (bittorrent.info_hash) '00' is not an info hash" },
        { "bittorrent", "{\"info_hash\":\"" + new string('a', 40) + "\",\"peers\":[\"0.0.0.0:1\"]}", "bittorrent.peers[0] endpoint '0.0.0.0:1' is an unspecified address" },
        { "bittorrent", "{\"info_hash\":\"" + new string('a', 40) + "\",\"dht\":\"1.2.3.4:5\"}", "bittorrent.dht field is the string" },
        { "bittorrent", "{\"info_hash\":\"" + new string('a', 40) + "\",\"dht\":[" + string.Join(',', Enumerable.Repeat("\"1.2.3.4:5\"", 33)) + "]}", "33 bittorrent.dht entries" },
    };

    [Theory]
    [MemberData(nameof(FieldRejections))]
    public void Rejects_a_wrong_field_with_a_sentence_naming_it(string path, string value, string named)
    {
        var node = Node(SmartShareSamples.Holiday());
        var parts = path.Split('.');
        var parent = parts.Length == 1 ? node : node[parts[0]]!.AsObject();
        parent[parts[^1]] = JsonNode.Parse(value, documentOptions: new() { MaxDepth = 64 });

        var error = Assert.Throws<SmartShareFormatException>(() => Parse(node));

        Assert.Contains(named, error.Message, StringComparison.Ordinal);
        Assert.EndsWith(".", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rejects_a_name_with_a_lone_surrogate()
    {
        var json = SmartShareSamples.Json(SmartShareSamples.Holiday()).Replace("holiday.mp4", "\\ud800", StringComparison.Ordinal);

        var error = Assert.Throws<SmartShareFormatException>(() => SmartShareCodec.Parse(Encoding.UTF8.GetBytes(json)));

        Assert.Contains("name", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rejects_input_over_the_size_limit_before_reading_it()
    {
        var error = Assert.Throws<SmartShareFormatException>(() => SmartShareCodec.Parse(new byte[SmartShareCodec.MaxFileBytes + 1]));

        Assert.Contains($"{SmartShareCodec.MaxFileBytes + 1} bytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rejects_bytes_that_are_not_utf8()
    {
        var error = Assert.Throws<SmartShareFormatException>(() => SmartShareCodec.Parse([(byte)'{', 0xff, (byte)'}']));

        Assert.Contains("not UTF-8", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_byte_order_mark_is_skipped()
    {
        var bytes = "\uFEFF"u8.ToArray().Concat(SmartShareCodec.Serialize(SmartShareSamples.Holiday())).ToArray();

        Assert.Equal(SmartShareSamples.Holiday(), SmartShareCodec.Parse(bytes));
    }

    [Fact]
    public void Duplicate_keys_inside_nested_objects_are_refused()
    {
        var json = SmartShareSamples.Json(SmartShareSamples.Holiday()).Replace("\"sd_hash\":", "\"sd_hash\": \"x\", \"sd_hash\":", StringComparison.Ordinal);

        var error = Assert.Throws<SmartShareFormatException>(() => SmartShareCodec.Parse(Encoding.UTF8.GetBytes(json)));

        Assert.Contains("sd_hash", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rejects_an_embedded_sd_blob_over_two_mebibytes()
    {
        var big = new byte[SmartShareCodec.MaxSdBlobBytes + 1];
        var file = SmartShareSamples.Holiday() with { SdBlob = big, SdHash = BlobHash.Compute(big) };
        var node = Node(SmartShareSamples.Holiday());
        node["lbry"]!["sd_blob"] = Convert.ToBase64String(big);
        node["lbry"]!["sd_hash"] = file.SdHash.ToString();

        var error = Assert.Throws<SmartShareFormatException>(() => Parse(node));
        Assert.Contains("sd blob (sd_blob) is 2097153 bytes", error.Message, StringComparison.Ordinal);
        Assert.Throws<SmartShareFormatException>(() => SmartShareCodec.Serialize(file));
    }

    [Fact]
    public void Writing_refuses_a_share_that_reading_would_refuse()
    {
        var file = SmartShareSamples.Holiday() with { Contacts = [new SmartShareContact(new SmartShareEndpoint("224.0.0.1", 4444), null)] };

        var error = Assert.Throws<SmartShareFormatException>(() => SmartShareCodec.Serialize(file));

        Assert.Contains("contacts[0].dht endpoint '224.0.0.1:4444' is a multicast address", error.Message, StringComparison.Ordinal);
        Assert.Throws<SmartShareFormatException>(() => SmartShareCodec.Serialize(SmartShareSamples.Holiday() with { Version = 2 }));
        Assert.Throws<SmartShareFormatException>(() => SmartShareCodec.Serialize(SmartShareSamples.Holiday() with { SdHash = default }));
    }

    private static JsonObject Node(SmartShareFile file) => JsonNode.Parse(SmartShareCodec.Serialize(file))!.AsObject();

    private static SmartShareFile Parse(JsonObject node) => SmartShareCodec.Parse(Encoding.UTF8.GetBytes(node.ToJsonString()));
}
