using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Time.Testing;
using SmartShare.BitTorrent.Engine;
using SmartShare.BitTorrent.PeerWire;

namespace SmartShare.BitTorrent.Tests.Engine;

/// <summary>
/// Admissions count each connection once. A peer's run adds it to the peer list before its admission ends, so for a
/// moment it is both a peer and an admission; counted twice, a host one short of its share was refused (CI failed on
/// this in HostileHostTests: the eighth connection of a host allowed eight was closed before its handshake's answer).
/// </summary>
public sealed class PeerDialerAdmissionTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    private static readonly InfoHash Torrent = InfoHash.Parse("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
    private static readonly PeerConnectionOptions Plain = new() { Encryption = EncryptionMode.Disable };

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Lock _lock = new();
    private readonly List<PeerSession> _peers = [];
    private readonly CancellationTokenSource _stop = new();

    public PeerDialerAdmissionTests() => _listener.Start();

    public void Dispose()
    {
        _listener.Stop();
        _stop.Dispose();
    }

    [Fact]
    public async Task A_peer_that_joined_before_its_admission_ended_counts_once_toward_its_hosts_share()
    {
        var dialer = Dialer(maxPeersPerHost: 2);
        var (outgoing, incoming) = await ConnectPairAsync();
        await using var _ = outgoing;
        await using var __ = incoming;
        var first = incoming.Remote.PeerId;

        Assert.True(dialer.Admit(IPAddress.Loopback, first, incoming: true));
        lock (_lock)
        {
            _peers.Add(new PeerSession(incoming, 1, TimeProvider.System, _stop.Token)); // its run started
        }

        // Its admission has not ended yet: the host holds one connection, not two.
        var second = Id('2');
        Assert.True(dialer.Admit(IPAddress.Loopback, second, incoming: true));
        dialer.Joined(first);

        // Now the host holds its share: the first peer and the second admission.
        Assert.False(dialer.Admit(IPAddress.Loopback, Id('3'), incoming: true));
        Assert.True(dialer.Admit(IPAddress.Parse("127.0.0.2"), Id('4'), incoming: true));

        // An admission that failed before its peer joined frees its place.
        dialer.Joined(second);
        Assert.True(dialer.Admit(IPAddress.Loopback, Id('5'), incoming: true));
    }

    private static PeerId Id(char c) => PeerId.FromBytes(System.Text.Encoding.ASCII.GetBytes("-SS0001-" + new string(c, 12)));

    private PeerDialer Dialer(int maxPeersPerHost) => new(
        _lock,
        new FakeTimeProvider(),
        new TorrentSessionOptions { MaxPeersPerHost = maxPeersPerHost },
        _stop,
        Id('0'),
        _peers,
        mayDialUnderLock: () => false,
        seedingUnderLock: () => true,
        handshake: () => new Handshake(Torrent, Id('0'), PeerCapabilities.None),
        runPeer: _ => Task.CompletedTask,
        log: _ => { });

    private async Task<(PeerConnection Outgoing, PeerConnection Incoming)> ConnectPairAsync()
    {
        var dial = PeerConnection.ConnectAsync((IPEndPoint)_listener.LocalEndpoint, new Handshake(Torrent, Id('1'), PeerCapabilities.None), Plain, default);
        var socket = await _listener.AcceptSocketAsync().WaitAsync(Patience);
        var (incoming, _) = await PeerConnection.ReadIncomingHandshakeAsync(socket, Plain, default).WaitAsync(Patience);
        await incoming.AcceptAsync(new Handshake(Torrent, Id('0'), PeerCapabilities.None), default).WaitAsync(Patience);
        return (await dial.WaitAsync(Patience), incoming);
    }
}
