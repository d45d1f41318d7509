using FsCheck;
using FsCheck.Fluent;
using SmartShare.Testing;

namespace SmartShare.Kademlia.Tests;

public class NodeIdTests
{
    private static readonly Config Quick = Config.QuickThrowOnFailure.WithMaxTest(300);

    private static Arbitrary<NodeId> Ids(int length) =>
        ArbMap.Default.ArbFor<ulong>().Convert(seed => NodeId.Random(length, new DeterministicRandomSource(seed)), id => 0UL);

    [Fact]
    public void Distance_is_symmetric()
    {
        var property = Prop.ForAll(Ids(48), Ids(48), (a, b) => a.DistanceTo(b).Equals(b.DistanceTo(a)));
        Check.One(Quick, property);
    }

    [Fact]
    public void Distance_to_itself_is_zero_and_to_anything_else_is_not()
    {
        var property = Prop.ForAll(Ids(20), Ids(20), (a, b) =>
            a.DistanceTo(a).Equals(NodeId.Zero(20)) && (a.Equals(b) || !a.DistanceTo(b).Equals(NodeId.Zero(20))));
        Check.One(Quick, property);
    }

    [Fact]
    public void Compare_distance_agrees_with_comparing_xor_distances()
    {
        var property = Prop.ForAll(Ids(20), Ids(20), Ids(20), (target, a, b) =>
            Math.Sign(target.CompareDistance(a, b)) == Math.Sign(target.DistanceTo(a).CompareTo(target.DistanceTo(b))));
        Check.One(Quick, property);
    }

    [Fact]
    public void Xor_distance_satisfies_the_triangle_inequality_as_integers()
    {
        var property = Prop.ForAll(Ids(20), Ids(20), Ids(20), (a, b, c) =>
            ToInteger(a.DistanceTo(c)) <= ToInteger(a.DistanceTo(b)) + ToInteger(b.DistanceTo(c)));
        Check.One(Quick, property);
    }

    [Fact]
    public void Sorting_by_distance_from_a_target_is_a_total_order()
    {
        var property = Prop.ForAll(ArbMap.Default.ArbFor<ulong>(), seed =>
        {
            var random = new DeterministicRandomSource(seed);
            var (target, a, b, c) = (NodeId.Random(48, random), NodeId.Random(48, random), NodeId.Random(48, random), NodeId.Random(48, random));
            var ab = target.CompareDistance(a, b);
            var bc = target.CompareDistance(b, c);
            var ac = target.CompareDistance(a, c);
            var antisymmetric = ab == -target.CompareDistance(b, a);
            var transitive = !(ab <= 0 && bc <= 0) || ac <= 0;
            return antisymmetric && transitive;
        });
        Check.One(Quick, property);
    }

    [Fact]
    public void Distances_compare_as_unsigned_big_endian_numbers()
    {
        var small = NodeId.FromHex("00ff");
        var large = NodeId.FromHex("0100");
        var highBit = NodeId.FromHex("8000");
        Assert.True(small < large);
        Assert.True(large < highBit);
        Assert.Equal(-1, NodeId.Zero(2).CompareDistance(small, highBit));
    }

    [Fact]
    public void Random_ids_have_the_requested_length_and_come_from_the_random_source()
    {
        var first = NodeId.Random(48, new DeterministicRandomSource(1));
        var again = NodeId.Random(48, new DeterministicRandomSource(1));
        Assert.Equal(48, first.Length);
        Assert.Equal(first, again);
        Assert.NotEqual(first, NodeId.Random(48, new DeterministicRandomSource(2)));
    }

    [Fact]
    public void ToString_is_lowercase_hex_and_round_trips()
    {
        var id = NodeId.FromHex("00AB10ff");
        Assert.Equal("00ab10ff", id.ToString());
        Assert.Equal(id, NodeId.FromHex(id.ToString()));
    }

    [Fact]
    public void Ids_of_different_lengths_are_not_compared()
    {
        Assert.Throws<ArgumentException>(() => NodeId.Zero(20).DistanceTo(NodeId.Zero(48)));
    }

    [Fact]
    public void Get_bit_counts_from_the_most_significant_bit()
    {
        var id = NodeId.FromHex("4001");
        Assert.Equal(0, id.GetBit(0));
        Assert.Equal(1, id.GetBit(1));
        Assert.Equal(1, id.GetBit(15));
    }

    private static System.Numerics.BigInteger ToInteger(NodeId distance) =>
        new(distance.Span, isUnsigned: true, isBigEndian: true);
}
