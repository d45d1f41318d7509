using System.Text;
using SmartShare.BitTorrent.PeerWire;

namespace SmartShare.BitTorrent.Tests.PeerWire;

public class PeerIdTests
{
    [Fact]
    public void Round_trips_its_bytes_and_compares_by_value()
    {
        var bytes = Enumerable.Range(1, 20).Select(i => (byte)i).ToArray();
        var id = PeerId.FromBytes(bytes);

        Assert.Equal(bytes, id.ToArray());
        Assert.Equal(id, PeerId.FromBytes(bytes.ToArray()));
        Assert.True(id == PeerId.FromBytes(bytes));
        Assert.Equal(id.GetHashCode(), PeerId.FromBytes(bytes).GetHashCode());
        bytes[19] ^= 1;
        Assert.True(id != PeerId.FromBytes(bytes));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(19)]
    [InlineData(21)]
    public void Refuses_other_lengths(int length)
    {
        Assert.Throws<ArgumentException>(() => PeerId.FromBytes(new byte[length]));
    }

    [Fact]
    public void Generates_azureus_style_ids_from_the_random_source()
    {
        var id = PeerId.Generate(new CountingRandom());
        var text = Encoding.ASCII.GetString(id.ToArray());

        Assert.StartsWith("-SS0001-", text, StringComparison.Ordinal);
        Assert.All(text[8..], c => Assert.True(char.IsAsciiLetterOrDigit(c)));
        Assert.Equal(text, id.ToString());
        Assert.NotEqual(id, PeerId.Generate(new CountingRandom(start: 77)));
    }

    [Fact]
    public void Prints_unprintable_bytes_as_percent_escapes()
    {
        var bytes = "-XX1234-abcdefghij%"u8.ToArray().Append((byte)0xff).ToArray();

        Assert.Equal("-XX1234-abcdefghij%25%FF", PeerId.FromBytes(bytes).ToString());
    }

    private sealed class CountingRandom(int start = 0) : IRandomSource
    {
        private int _next = start;

        public void Fill(Span<byte> destination)
        {
            for (var i = 0; i < destination.Length; i++)
            {
                destination[i] = (byte)_next++;
            }
        }
    }
}
