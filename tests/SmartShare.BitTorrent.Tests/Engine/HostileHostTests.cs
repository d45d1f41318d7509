using System.Net;
using System.Net.Sockets;
using SmartShare.BitTorrent.Metainfo;
using SmartShare.BitTorrent.PeerWire;

namespace SmartShare.BitTorrent.Tests.Engine;

/// <summary>
/// One host cannot lock others out. Idle connections that never send a handshake cannot keep genuine peers out of
/// the listener (issue 18, measured before: 64 idle connections from one host filled the global cap of pending
/// handshakes, and every genuine peer got a reset for as long as they were held), and one host posing as many peers
/// cannot take every connection slot of a torrent.
/// </summary>
public sealed class HostileHostTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Idle_connections_from_one_host_or_from_many_never_keep_a_genuine_peer_out()
    {
        await using var kit = new EngineTestKit();
        var source = kit.Folder("seed");
        await File.WriteAllBytesAsync(Path.Combine(source, "data.bin"), EngineTestKit.RandomBytes(64 * 1024));
        var (_, torrent) = TorrentCreator.Create(Path.Combine(source, "data.bin"), pieceLength: 16 * 1024);
        var seeder = kit.Client();
        await kit.SeedAsync(seeder, torrent, source);
        var idle = new List<Socket>();
        try
        {
            // One host opens 64 connections and says nothing; then 15 more hosts hold 8 idle ones each: together
            // more than the 64 pending slots.
            await OpenIdleAsync(idle, seeder.LocalEndPoint, IPAddress.Parse("127.0.0.2"), 64);
            for (var host = 3; host < 18; host++)
            {
                await OpenIdleAsync(idle, seeder.LocalEndPoint, IPAddress.Parse($"127.0.0.{host}"), 8);
            }

            await EngineTestKit.WaitAsync(() => seeder.HandshakesEvicted >= 100, Patience, "the listener to take every idle connection");

            // A genuine peer from another host completes its handshake and is answered.
            await using var genuine = await RawPeer.ConnectAsync(seeder.LocalEndPoint, torrent.InfoHash, from: IPAddress.Parse("127.0.0.99"));
            Assert.Equal(torrent.InfoHash, genuine.Remote.InfoHash);
        }
        finally
        {
            foreach (var socket in idle)
            {
                socket.Dispose();
            }
        }
    }

    [Fact]
    public async Task One_host_posing_as_many_peers_gets_at_most_its_share_of_a_torrents_connections()
    {
        await using var kit = new EngineTestKit();
        var source = kit.Folder("seed");
        await File.WriteAllBytesAsync(Path.Combine(source, "data.bin"), EngineTestKit.RandomBytes(64 * 1024));
        var (_, torrent) = TorrentCreator.Create(Path.Combine(source, "data.bin"), pieceLength: 16 * 1024);
        var seeder = kit.Client();
        await kit.SeedAsync(seeder, torrent, source);
        var many = IPAddress.Parse("127.0.0.5");
        var held = new List<RawPeer>();
        try
        {
            var share = new BitTorrent.Engine.TorrentSessionOptions().MaxPeersPerHost;
            for (var i = 0; i < share; i++)
            {
                held.Add(await RawPeer.ConnectAsync(seeder.LocalEndPoint, torrent.InfoHash, from: many));
            }

            // The next peer id from that host is closed before the torrent answers; another host is welcome.
            await Assert.ThrowsAnyAsync<Exception>(() => RawPeer.ConnectAsync(seeder.LocalEndPoint, torrent.InfoHash, from: many));
            held.Add(await RawPeer.ConnectAsync(seeder.LocalEndPoint, torrent.InfoHash, from: IPAddress.Parse("127.0.0.6")));
        }
        finally
        {
            foreach (var peer in held)
            {
                await peer.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_peer_that_asks_for_blocks_and_never_reads_them_is_closed_after_the_send_timeout()
    {
        await using var kit = new EngineTestKit();
        var source = kit.Folder("seed");
        await File.WriteAllBytesAsync(Path.Combine(source, "data.bin"), EngineTestKit.RandomBytes(8 * 1024 * 1024));
        var (_, torrent) = TorrentCreator.Create(Path.Combine(source, "data.bin"), pieceLength: 256 * 1024);
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var seeder = kit.Client(time: time);
        var session = await kit.SeedAsync(seeder, torrent, source);
        await using var reader = await RawPeer.ConnectAsync(seeder.LocalEndPoint, torrent.InfoHash, PeerCapabilities.Fast, receiveBufferSize: 4096);
        await reader.SendAsync(RawPeer.Message(PeerMessageType.HaveNone));
        var unchoked = reader.ExpectAsync(PeerMessageType.Unchoke, Patience);
        await reader.SendAsync(RawPeer.Message(PeerMessageType.Interested));
        await unchoked;
        await EngineTestKit.WaitAsync(() => session.Progress.Peers == 1, Patience, "the peer to be counted");

        // Every block of the torrent, 8 MiB: far more than the two sockets' buffers hold, and it never reads one.
        for (var piece = 0; piece < torrent.Info.PieceCount; piece++)
        {
            for (var begin = 0; begin < torrent.Info.PieceLength; begin += 16 * 1024)
            {
                await reader.SendAsync(RawPeer.Message(PeerMessageType.Request, piece, begin, 16 * 1024));
            }
        }

        // It keeps the connection alive the other way (a keep-alive every 10 s, so the read timeout never fires):
        // only the stalled send can close it, 60 s after the socket filled up.
        for (var step = 0; step < 30 && session.Progress.Peers > 0; step++)
        {
            try
            {
                await reader.SendAsync(new byte[4]);
            }
            catch (SocketException)
            {
                break; // closed already
            }

            time.Advance(TimeSpan.FromSeconds(10));
            await Task.Delay(20); // paces the steps only; the wait below decides
        }

        await EngineTestKit.WaitAsync(() => session.Progress.Peers == 0, Patience, "the stalled peer to be closed");
        Assert.True(kit.LogHas("read nothing we sent"), $"no log line says why the peer was closed: {string.Join(" | ", kit.Log)}");
    }

    private static async Task OpenIdleAsync(List<Socket> sockets, IPEndPoint target, IPAddress from, int count)
    {
        for (var i = 0; i < count; i++)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            sockets.Add(socket);
            socket.Bind(new IPEndPoint(from, 0));
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, target.Port));
        }
    }
}
