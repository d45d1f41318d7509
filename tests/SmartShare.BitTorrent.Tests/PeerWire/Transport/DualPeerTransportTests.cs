using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Time.Testing;
using SmartShare.BitTorrent.PeerWire.Transport;

namespace SmartShare.BitTorrent.Tests.PeerWire.Transport;

/// <summary>
/// The happy-eyeballs dialing of <see cref="DualPeerTransport"/> on a fake clock, with fake transports whose dials
/// answer, stay silent or fail as each test says.
/// </summary>
public sealed class DualPeerTransportTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);
    private static readonly IPEndPoint Peer = new(IPAddress.Parse("192.0.2.7"), 6881);

    private readonly FakeTimeProvider _time = new();
    private readonly FakeTransport _tcp = new("tcp");
    private readonly FakeTransport _utp = new("utp");

    [Fact]
    public async Task Utp_answering_within_the_head_start_leaves_tcp_undialed()
    {
        var transport = Both();
        var dialing = transport.ConnectAsync(Peer, CancellationToken.None).AsTask();
        _time.Advance(TimeSpan.FromMilliseconds(300));
        _utp.Answer();

        var link = await dialing.WaitAsync(Limit);
        Assert.Equal("utp", link.Transport);
        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(0, _tcp.Dials);
        Assert.Equal("utp", transport.RememberedTransport(Peer));
    }

    [Fact]
    public async Task Silent_utp_gets_tcp_dialed_at_the_head_start_and_tcp_wins_and_is_remembered()
    {
        var transport = Both();
        _tcp.AnswerAtOnce = true;
        var dialing = transport.ConnectAsync(Peer, CancellationToken.None).AsTask();
        Assert.Equal(1, _utp.Dials);

        _time.Advance(TimeSpan.FromMilliseconds(499));
        Assert.Equal(0, _tcp.Dials);
        _time.Advance(TimeSpan.FromMilliseconds(1));

        var link = await dialing.WaitAsync(Limit);
        Assert.Equal("tcp", link.Transport);
        Assert.Equal(1, _tcp.Dials);
        await _utp.Cancelled.WaitAsync(Limit);
        Assert.Equal("tcp", transport.RememberedTransport(Peer));

        // Next time TCP is dialed first, and answering at once it is the only one dialed.
        var again = await transport.ConnectAsync(Peer, CancellationToken.None).AsTask().WaitAsync(Limit);
        Assert.Equal("tcp", again.Transport);
        Assert.Equal(2, _tcp.Dials);
        Assert.Equal(1, _utp.Dials);
    }

    [Theory]
    [InlineData("192.168.1.20")]
    [InlineData("10.78.0.5")]
    [InlineData("fe80::1")]
    public async Task A_peer_on_the_lan_silent_on_utp_gets_tcp_after_a_short_head_start(string address)
    {
        var transport = Both();
        transport.AddUtp(_utp, AddressFamily.InterNetworkV6);
        _tcp.AnswerAtOnce = true;
        var peer = new IPEndPoint(IPAddress.Parse(address), 6881);
        var dialing = transport.ConnectAsync(peer, CancellationToken.None).AsTask();
        Assert.Equal(1, _utp.Dials);

        _time.Advance(TimeSpan.FromMilliseconds(49));
        Assert.Equal(0, _tcp.Dials);
        _time.Advance(TimeSpan.FromMilliseconds(1));

        var link = await dialing.WaitAsync(Limit);
        Assert.Equal("tcp", link.Transport);
        Assert.Equal(DualPeerTransport.LocalHeadStart, transport.HeadStartFor(peer.Address));
        Assert.Equal(DualPeerTransport.DefaultHeadStart, transport.HeadStartFor(Peer.Address));
    }

    [Theory]
    [InlineData("127.0.0.2")]
    [InlineData("::1")]
    [InlineData("::ffff:127.0.0.1")]
    public async Task A_peer_on_this_machine_is_dialed_on_tcp_first_and_utp_only_after_a_short_head_start(string address)
    {
        var transport = Both();
        transport.AddUtp(_utp, AddressFamily.InterNetworkV6);
        var peer = new IPEndPoint(IPAddress.Parse(address), 6881);
        var dialing = transport.ConnectAsync(peer, CancellationToken.None).AsTask();
        Assert.Equal(1, _tcp.Dials);
        Assert.Equal(0, _utp.Dials);

        _time.Advance(TimeSpan.FromMilliseconds(49));
        Assert.Equal(0, _utp.Dials);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        await _utp.Dialed.WaitAsync(Limit);
        _utp.Answer();

        var link = await dialing.WaitAsync(Limit);
        Assert.Equal("utp", link.Transport);
        Assert.Equal("utp", transport.RememberedTransport(peer));
    }

    [Fact]
    public async Task A_peer_that_closed_the_handshake_on_tcp_is_dialed_on_utp_first_next_time()
    {
        var transport = Both();
        _tcp.AnswerAtOnce = true;
        var peer = new IPEndPoint(IPAddress.Loopback, 6881);
        await transport.ConnectAsync(peer, CancellationToken.None).AsTask().WaitAsync(Limit);
        Assert.Equal("tcp", transport.RememberedTransport(peer));

        transport.TryOtherFirst(peer);

        Assert.Equal("utp", transport.RememberedTransport(peer));
        _utp.AnswerAtOnce = true;
        var link = await transport.ConnectAsync(peer, CancellationToken.None).AsTask().WaitAsync(Limit);
        Assert.Equal("utp", link.Transport);
        Assert.Equal(1, _tcp.Dials);
    }

    [Fact]
    public async Task A_peer_on_this_machine_refusing_tcp_gets_utp_at_once()
    {
        var transport = Both();
        _tcp.RefuseAtOnce = true;
        _utp.AnswerAtOnce = true;
        var peer = new IPEndPoint(IPAddress.Loopback, 6881);

        var link = await transport.ConnectAsync(peer, CancellationToken.None).AsTask().WaitAsync(Limit);

        Assert.Equal("utp", link.Transport);
        Assert.Equal(1, _tcp.Dials);
    }

    [Fact]
    public async Task Utp_refused_gets_tcp_dialed_at_once_without_waiting_for_the_head_start()
    {
        var transport = Both();
        _utp.RefuseAtOnce = true;
        _tcp.AnswerAtOnce = true;

        var link = await transport.ConnectAsync(Peer, CancellationToken.None).AsTask().WaitAsync(Limit);

        Assert.Equal("tcp", link.Transport);
        Assert.Equal("tcp", transport.RememberedTransport(Peer));
    }

    [Fact]
    public async Task A_peer_remembered_on_utp_is_dialed_on_utp_alone()
    {
        var transport = Both();
        _utp.AnswerAtOnce = true;
        Assert.Equal("utp", (await transport.ConnectAsync(Peer, CancellationToken.None).AsTask().WaitAsync(Limit)).Transport);
        Assert.Equal("utp", (await transport.ConnectAsync(Peer, CancellationToken.None).AsTask().WaitAsync(Limit)).Transport);
        Assert.Equal(2, _utp.Dials);
        Assert.Equal(0, _tcp.Dials);
    }

    [Fact]
    public async Task When_both_fail_the_tcp_error_is_thrown_and_nothing_is_remembered()
    {
        var transport = Both();
        _utp.RefuseAtOnce = true;
        _tcp.RefuseAtOnce = true;

        var error = await Assert.ThrowsAsync<SocketException>(() => transport.ConnectAsync(Peer, CancellationToken.None).AsTask().WaitAsync(Limit));

        Assert.Contains("tcp", error.Message, StringComparison.Ordinal);
        Assert.Null(transport.RememberedTransport(Peer));
    }

    [Fact]
    public async Task The_callers_cancellation_stops_both_attempts()
    {
        var transport = Both();
        using var cancel = new CancellationTokenSource();
        var dialing = transport.ConnectAsync(Peer, cancel.Token).AsTask();
        _time.Advance(TimeSpan.FromMilliseconds(500));
        await _tcp.Dialed.WaitAsync(Limit);

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => dialing.WaitAsync(Limit));
        await _utp.Cancelled.WaitAsync(Limit);
        await _tcp.Cancelled.WaitAsync(Limit);
    }

    [Theory]
    [InlineData(PeerTransportMode.Tcp, "tcp")]
    [InlineData(PeerTransportMode.Utp, "utp")]
    public async Task A_single_mode_dials_its_transport_only(PeerTransportMode mode, string expected)
    {
        var transport = new DualPeerTransport(_tcp, mode, time: _time);
        transport.AddUtp(_utp, AddressFamily.InterNetwork);
        _tcp.AnswerAtOnce = _utp.AnswerAtOnce = true;

        var link = await transport.ConnectAsync(Peer, CancellationToken.None).AsTask().WaitAsync(Limit);

        Assert.Equal(expected, link.Transport);
        Assert.Equal(1, _tcp.Dials + _utp.Dials);
    }

    [Fact]
    public async Task A_family_without_a_utp_socket_is_dialed_on_tcp_at_once()
    {
        var transport = Both();
        _tcp.AnswerAtOnce = true;

        var link = await transport.ConnectAsync(new IPEndPoint(IPAddress.Parse("2001:db8::7"), 6881), CancellationToken.None).AsTask().WaitAsync(Limit);

        Assert.Equal("tcp", link.Transport);
        Assert.Equal(0, _utp.Dials);
    }

    [Fact]
    public void The_memory_forgets_the_least_recently_used_address_past_its_size()
    {
        var memory = new PeerTransportMemory(2);
        var (a, b, c) = (new IPEndPoint(IPAddress.Loopback, 1), new IPEndPoint(IPAddress.Loopback, 2), new IPEndPoint(IPAddress.Loopback, 3));
        memory.Remember(a, tcp: true);
        memory.Remember(b, tcp: false);
        Assert.True(memory.AnsweredOnTcp(a));

        memory.Remember(c, tcp: true);

        Assert.Equal(2, memory.Count);
        Assert.Null(memory.AnsweredOnTcp(b));
        Assert.True(memory.AnsweredOnTcp(a));
        Assert.True(memory.AnsweredOnTcp(c));
    }

    private DualPeerTransport Both()
    {
        var transport = new DualPeerTransport(_tcp, PeerTransportMode.Both, time: _time);
        transport.AddUtp(_utp, AddressFamily.InterNetwork);
        return transport;
    }

    // Dials that answer at once, fail at once, or wait for Answer() or their cancellation.
    private sealed class FakeTransport(string name) : IPeerTransport
    {
        private readonly TaskCompletionSource _answer = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _dialed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _cancelled = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _dials;

        public bool AnswerAtOnce { get; set; }

        public bool RefuseAtOnce { get; set; }

        public int Dials => Volatile.Read(ref _dials);

        public Task Dialed => _dialed.Task;

        public Task Cancelled => _cancelled.Task;

        public void Answer() => _answer.TrySetResult();

        public async ValueTask<IPeerLink> ConnectAsync(IPEndPoint remote, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _dials);
            _dialed.TrySetResult();
            if (RefuseAtOnce)
            {
                throw new SocketException((int)SocketError.ConnectionRefused, $"{name} refused");
            }

            if (!AnswerAtOnce)
            {
                try
                {
                    await _answer.Task.WaitAsync(cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    _cancelled.TrySetResult();
                    throw;
                }
            }

            return new FakeLink(name, remote);
        }

        public IPeerListener Listen(IPEndPoint local) => throw new NotSupportedException();
    }

    private sealed class FakeLink(string transport, IPEndPoint remote) : IPeerLink
    {
        public Stream Stream { get; } = new MemoryStream();

        public IPEndPoint RemoteEndPoint { get; } = remote;

        public IPEndPoint LocalEndPoint { get; } = new(IPAddress.Loopback, 1);

        public string Transport { get; } = transport;

        public ValueTask DisposeAsync() => Stream.DisposeAsync();
    }
}
