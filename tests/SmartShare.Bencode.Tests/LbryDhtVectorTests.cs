using System.Buffers;
using System.Text.Json;

namespace SmartShare.Bencode.Tests;

/// <summary>The DHT datagrams lbry-sdk produced (shared/vectors/lbry/dht-datagrams.json), byte for byte.</summary>
public class LbryDhtVectorTests
{
    private static readonly Lazy<JsonDocument> Vectors = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(FindVectorDirectory(), "dht-datagrams.json"))));

    public static TheoryData<string> DatagramNames() => new(Names());

    [Fact]
    public void The_vector_file_holds_every_kind_of_datagram()
    {
        var names = Names();

        Assert.Equal(10, names.Count);
        Assert.Contains(names, name => name.StartsWith("ping request", StringComparison.Ordinal));
        Assert.Contains(names, name => name.StartsWith("findValue response", StringComparison.Ordinal));
        Assert.Contains(names, name => name.StartsWith("error", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(DatagramNames))]
    public void Datagram_decodes_in_lbry_mode_and_encodes_back_to_the_same_bytes(string name)
    {
        var datagram = Datagram(name);

        var value = BencodeDecoder.Decode(datagram, BencodeMode.Lbry);

        var output = new ArrayBufferWriter<byte>();
        BencodeEncoder.Encode(value, output, BencodeMode.Lbry);
        Assert.Equal(Convert.ToHexStringLower(datagram), Convert.ToHexStringLower(output.WrittenSpan));
    }

    [Theory]
    [MemberData(nameof(DatagramNames))]
    public void Datagram_has_the_documented_shape(string name)
    {
        var inputs = Vectors.Value.RootElement.GetProperty("inputs");

        var top = Assert.IsType<BencodeDictionary>(BencodeDecoder.Decode(Datagram(name), BencodeMode.Lbry));

        Assert.All(top.Entries, entry => Assert.True(entry.Key.IsInteger));
        var keys = top.Entries.Select(entry => entry.Key.IntegerValue).ToArray();
        var type = Assert.IsType<BencodeInteger>(Value(top, 0)).Value;
        Assert.Equal(type == 1 ? new long[] { 0, 1, 2, 3 } : [0, 1, 2, 3, 4], keys);
        Assert.InRange(type, 0, 2);
        var rpcId = Assert.IsType<BencodeByteString>(Value(top, 1)).Value;
        Assert.Equal(20, rpcId.Length);
        Assert.Equal(inputs.GetProperty("rpc_id").GetString(), Convert.ToHexStringLower(rpcId.Span));
        var nodeId = Assert.IsType<BencodeByteString>(Value(top, 2)).Value;
        Assert.Equal(48, nodeId.Length);
        var sender = name.Contains("A->B", StringComparison.Ordinal) ? "A" : "B";
        Assert.Equal(inputs.GetProperty(sender).GetString(), Convert.ToHexStringLower(nodeId.Span));
        if (type == 0)
        {
            var args = Assert.IsType<BencodeList>(Value(top, 4));
            var kwargs = Assert.IsType<BencodeDictionary>(args[args.Count - 1]);
            Assert.True(kwargs.TryGetValue("protocolVersion", out var version));
            Assert.Equal(1, Assert.IsType<BencodeInteger>(version).Value);
        }
    }

    [Fact]
    public void FindValue_response_holds_a_dictionary_keyed_by_the_raw_48_byte_key()
    {
        var inputs = Vectors.Value.RootElement.GetProperty("inputs");
        var top = Assert.IsType<BencodeDictionary>(BencodeDecoder.Decode(Datagram("findValue response B->A"), BencodeMode.Lbry));

        var result = Assert.IsType<BencodeDictionary>(Value(top, 3));

        var key = Convert.FromHexString(inputs.GetProperty("key").GetString()!);
        Assert.True(result.TryGetValue(key, out var peers));
        var compact = Assert.IsType<BencodeByteString>(Assert.Single(Assert.IsType<BencodeList>(peers).Items));
        Assert.Equal(Vectors.Value.RootElement.GetProperty("compact_address_B_5.6.7.8_4444").GetString(), Convert.ToHexStringLower(compact.Value.Span));
        Assert.True(result.TryGetValue("token", out var token));
        Assert.Equal(inputs.GetProperty("token").GetString(), Convert.ToHexStringLower(Assert.IsType<BencodeByteString>(token).Value.Span));
        Assert.True(result.TryGetValue("contacts", out _));
        Assert.True(result.TryGetValue("p", out _));
    }

    [Fact]
    public void The_writer_produces_the_ping_request_lbry_sdk_sends()
    {
        var inputs = Vectors.Value.RootElement.GetProperty("inputs");
        var output = new ArrayBufferWriter<byte>();
        var writer = new BencodeWriter(output, BencodeMode.Lbry);

        writer.StartDictionary();
        writer.WriteIntegerKey(0);
        writer.WriteInteger(0);
        writer.WriteIntegerKey(1);
        writer.WriteBytes(Convert.FromHexString(inputs.GetProperty("rpc_id").GetString()!));
        writer.WriteIntegerKey(2);
        writer.WriteBytes(Convert.FromHexString(inputs.GetProperty("A").GetString()!));
        writer.WriteIntegerKey(3);
        writer.WriteString("ping");
        writer.WriteIntegerKey(4);
        writer.StartList();
        writer.StartDictionary();
        writer.WriteString("protocolVersion");
        writer.WriteInteger(1);
        writer.End();
        writer.End();
        writer.End();

        Assert.Equal(Convert.ToHexStringLower(Datagram("ping request A->B")), Convert.ToHexStringLower(output.WrittenSpan));
    }

    [Fact]
    public void Datagrams_with_digit_text_keys_decode_like_the_integer_keyed_original()
    {
        var original = Datagram("ping response B->A");
        var text = TestBytes.Text(original);
        var spelled = TestBytes.Of("d1:0" + text[4..7] + "1:1" + text[10..]);

        var top = Assert.IsType<BencodeDictionary>(BencodeDecoder.Decode(spelled, BencodeMode.Lbry));

        Assert.True(top.TryGetValue(0, out var type));
        Assert.Equal(1, Assert.IsType<BencodeInteger>(type).Value);
        Assert.True(top.TryGetValue(1, out var rpcId));
        Assert.Equal(20, Assert.IsType<BencodeByteString>(rpcId).Value.Length);
        Assert.True(top.TryGetValue(3, out var pong));
        Assert.Equal("pong", TestBytes.Text(Assert.IsType<BencodeByteString>(pong).Value.Span));
    }

    private static List<string> Names() =>
        [.. Vectors.Value.RootElement.GetProperty("datagrams").EnumerateArray().Select(datagram => datagram.GetProperty("name").GetString()!)];

    private static BencodeValue Value(BencodeDictionary dictionary, long key)
    {
        Assert.True(dictionary.TryGetValue(key, out var value), $"Key {key} is missing.");
        return value;
    }

    private static byte[] Datagram(string name)
    {
        foreach (var datagram in Vectors.Value.RootElement.GetProperty("datagrams").EnumerateArray())
        {
            if (datagram.GetProperty("name").GetString() == name)
            {
                return Convert.FromHexString(datagram.GetProperty("hex").GetString()!);
            }
        }

        throw new InvalidOperationException($"No datagram named '{name}'.");
    }

    private static string FindVectorDirectory()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            foreach (var candidate in new[] { Path.Combine(directory.FullName, "shared", "vectors", "lbry"), Path.Combine(directory.FullName, "..", "shared", "vectors", "lbry") })
            {
                if (File.Exists(Path.Combine(candidate, "dht-datagrams.json")))
                {
                    return candidate;
                }
            }
        }

        throw new DirectoryNotFoundException($"No shared/vectors/lbry folder above {AppContext.BaseDirectory}.");
    }
}
