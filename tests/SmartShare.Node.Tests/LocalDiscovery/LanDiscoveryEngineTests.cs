using System.Net;
using Microsoft.Extensions.Time.Testing;
using SmartShare.Networking;
using SmartShare.Node.LocalDiscovery;
using SmartShare.Testing;

namespace SmartShare.Node.Tests.LocalDiscovery;

/// <summary>The announce schedule (on add, then every 5 minutes, capped per tick), the cookie and the per-source cap, on a fake clock.</summary>
public class LanDiscoveryEngineTests
{
    private static readonly IPEndPoint Neighbour = new(IPAddress.Parse("10.77.1.2"), 6771);

    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-12-05T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private readonly RecordingTransport _transport = new();

    [Fact]
    public void A_torrent_is_announced_on_the_next_tick_after_it_is_added_and_then_every_five_minutes()
    {
        var engine = Engine();
        engine.Add(Hash(1));

        Assert.Equal(1, engine.Tick());
        Assert.Single(_transport.V4);
        Assert.Single(_transport.V6);
        Assert.Contains("Host: 239.192.152.143:6771", Text(_transport.V4[0]), StringComparison.Ordinal);
        Assert.Contains("Host: [ff15::efc0:988f]:6771", Text(_transport.V6[0]), StringComparison.Ordinal);

        _time.Advance(TimeSpan.FromMinutes(4) + TimeSpan.FromSeconds(59));
        Assert.Equal(0, engine.Tick());
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, engine.Tick());
        Assert.Equal(2, _transport.V4.Count);
    }

    [Fact]
    public void A_removed_torrent_is_never_announced_again()
    {
        var engine = Engine();
        engine.Add(Hash(1));
        engine.Tick();
        engine.Remove(Hash(1));

        _time.Advance(TimeSpan.FromMinutes(30));

        Assert.Equal(0, engine.Tick());
        Assert.Single(_transport.V4);
    }

    [Fact]
    public void A_thousand_torrents_go_out_a_capped_number_per_tick_several_to_a_datagram()
    {
        var engine = Engine();
        for (var i = 0; i < 1000; i++)
        {
            engine.Add(Hash(i));
        }

        Assert.Equal(LanDiscoveryEngine.MaxHashesPerTick, engine.Tick());
        Assert.InRange(_transport.V4.Count, 2, LanDiscoveryEngine.MaxHashesPerTick / 10);
        Assert.Equal(LanDiscoveryEngine.MaxHashesPerTick, engine.Tick());
    }

    [Fact]
    public void Our_own_announce_coming_back_is_ignored_and_a_neighbours_is_passed_on()
    {
        var heard = new List<(LanAnnounce, IPEndPoint)>();
        var engine = Engine();
        engine.OnAnnounce = (announce, from) => heard.Add((announce, from));
        engine.Add(Hash(1));
        engine.Tick();

        engine.Receive(_transport.V4[0], Neighbour);
        Assert.Empty(heard);
        Assert.Equal(1, engine.OwnIgnored);

        var other = LanAnnounceFormat.BitTorrent.Encode("239.192.152.143:6771", 51413, [Hash(1)], "deadbeef")[0];
        engine.Receive(other, Neighbour);
        var (got, source) = Assert.Single(heard);
        Assert.Equal(51413, got.Port);
        Assert.Equal(Neighbour, source);
    }

    [Fact]
    public void A_flooding_source_is_capped_per_second_while_another_source_is_still_heard()
    {
        var heard = new List<IPEndPoint>();
        var engine = Engine();
        engine.OnAnnounce = (_, from) => heard.Add(from);
        var datagram = LanAnnounceFormat.BitTorrent.Encode("h", 1, [Hash(2)], "1")[0];

        for (var i = 0; i < 1000; i++)
        {
            engine.Receive(datagram, Neighbour);
        }

        Assert.Equal(LanDiscoveryEngine.BurstPerSource, heard.Count);
        Assert.Equal(1000 - LanDiscoveryEngine.BurstPerSource, engine.RateLimited);
        var other = new IPEndPoint(IPAddress.Parse("10.77.1.3"), 6771);
        engine.Receive(datagram, other);
        Assert.Equal(other, heard[^1]);

        _time.Advance(TimeSpan.FromSeconds(1));
        for (var i = 0; i < 100; i++)
        {
            engine.Receive(datagram, Neighbour);
        }

        Assert.Equal(LanDiscoveryEngine.BurstPerSource + 1 + (int)LanDiscoveryEngine.DatagramsPerSecondPerSource, heard.Count);
    }

    [Fact]
    public void Malformed_datagrams_are_counted_and_never_thrown()
    {
        var engine = Engine();
        engine.OnAnnounce = (_, _) => Assert.Fail("A malformed datagram was passed on.");

        engine.Receive([0xff, 0x00, 0x13], Neighbour);
        engine.Receive(new byte[5000], Neighbour);

        Assert.Equal(2, engine.Malformed);
    }

    [Fact]
    public void Announce_soon_brings_a_hash_forward_at_most_once_per_interval_given()
    {
        var engine = Engine();
        engine.Add(Hash(1));
        engine.Tick();

        engine.AnnounceSoon(Hash(1), TimeSpan.FromSeconds(10));
        Assert.Equal(0, engine.Tick());
        _time.Advance(TimeSpan.FromSeconds(10));
        engine.AnnounceSoon(Hash(1), TimeSpan.FromSeconds(10));
        Assert.Equal(1, engine.Tick());
        engine.AnnounceSoon(Hash(2), TimeSpan.FromSeconds(10));
        Assert.Equal(0, engine.Tick());
    }

    [Fact]
    public void The_cookie_is_random_hex()
    {
        var first = Engine().Cookie;
        var second = new LanDiscoveryEngine(LanAnnounceFormat.BitTorrent, _transport, _time, new DeterministicRandomSource(2), TimeSpan.FromMinutes(5), () => 6881).Cookie;

        Assert.Matches("^[0-9a-f]{1,8}$", first);
        Assert.NotEqual(first, second);
    }

    private LanDiscoveryEngine Engine() =>
        new(LanAnnounceFormat.BitTorrent, _transport, _time, new DeterministicRandomSource(1), LocalPeerDiscovery.AnnounceInterval, () => 6881);

    private static string Hash(int i) => i.ToString("x40", System.Globalization.CultureInfo.InvariantCulture);

    private static string Text(byte[] datagram) => System.Text.Encoding.ASCII.GetString(datagram);

    private sealed class RecordingTransport : ILanTransport
    {
        public List<byte[]> V4 { get; } = [];

        public List<byte[]> V6 { get; } = [];

        public int Send(IReadOnlyList<byte[]> ipv4, IReadOnlyList<byte[]> ipv6)
        {
            V4.AddRange(ipv4);
            V6.AddRange(ipv6);
            return ipv4.Count + ipv6.Count;
        }
    }
}
