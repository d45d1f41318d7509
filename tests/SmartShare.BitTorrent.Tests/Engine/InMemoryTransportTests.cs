using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using Microsoft.Extensions.Time.Testing;
using SmartShare.BitTorrent.Engine;
using SmartShare.BitTorrent.Metainfo;
using SmartShare.BitTorrent.PeerWire;
using SmartShare.BitTorrent.PeerWire.Transport;
using SmartShare.Testing;

namespace SmartShare.BitTorrent.Tests.Engine;

/// <summary>
/// Sessions and the metadata fetcher over an <see cref="InMemoryPeerNetwork"/> instead of TCP, on a fake clock:
/// no socket is opened and every timeout waits for the test to move the clock.
/// </summary>
public sealed class InMemoryTransportTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);
    private const byte SilentMetadataId = 7;

    [Theory]
    [InlineData(EncryptionMode.Disable)]
    [InlineData(EncryptionMode.Require)]
    public async Task A_leecher_downloads_from_a_seeder_over_the_in_memory_network_without_the_clock_moving(EncryptionMode encryption)
    {
        await using var kit = new EngineTestKit();
        var network = new InMemoryPeerNetwork();
        var time = new FakeTimeProvider();
        var start = time.GetUtcNow();
        var source = kit.Folder("seed");
        var content = EngineTestKit.RandomBytes((1024 * 1024) + 777);
        await File.WriteAllBytesAsync(Path.Combine(source, "data.bin"), content);
        var (_, torrent) = TorrentCreator.Create(Path.Combine(source, "data.bin"), pieceLength: 64 * 1024);

        await using var seeder = Client(kit, network.Host(1), time, encryption);
        await kit.SeedAsync(seeder, torrent, source);
        await using var leecher = Client(kit, network.Host(2), time, encryption);
        var downloads = kit.Folder("downloads");
        var session = leecher.Add(torrent, kit.Storage(torrent, downloads), resume: null);
        await session.StartAsync(CancellationToken.None);
        session.AddPeers([seeder.LocalEndPoint]);

        await session.Completed.WaitAsync(Limit);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("10.0.0.1"), 6881), seeder.LocalEndPoint);
        Assert.Equal(content, await File.ReadAllBytesAsync(Path.Combine(downloads, "data.bin")));
        Assert.Equal(TorrentState.Seeding, session.State);
        Assert.Equal(1, network.Connections);
        Assert.Equal(start, time.GetUtcNow());
    }

    [Fact]
    public async Task A_fetcher_takes_the_metadata_from_a_seeding_session_over_the_in_memory_network()
    {
        await using var kit = new EngineTestKit();
        var network = new InMemoryPeerNetwork();
        var time = new FakeTimeProvider();
        var (torrent, folder) = await FilesAsync(kit, 600);
        await using var seeder = Client(kit, network.Host(1), time, EncryptionMode.Prefer);
        await kit.SeedAsync(seeder, torrent, folder);

        await using var fetcher = Fetcher(kit, torrent.InfoHash, network.Host(3), time);
        fetcher.AddPeers([seeder.LocalEndPoint]);
        var info = await fetcher.FetchAsync(CancellationToken.None).WaitAsync(Limit);

        Assert.Equal(torrent.RawInfo.ToArray(), info);
        Assert.Equal([seeder.LocalEndPoint], fetcher.SuppliedBy);
    }

    [Fact]
    public async Task A_peer_that_goes_silent_after_taking_the_requests_is_dropped_only_once_the_clock_passes_the_request_timeout()
    {
        await using var kit = new EngineTestKit();
        var network = new InMemoryPeerNetwork();
        var time = new FakeTimeProvider();
        var (torrent, folder) = await FilesAsync(kit, 600);
        await using var seeder = Client(kit, network.Host(1), time, EncryptionMode.Disable);
        await kit.SeedAsync(seeder, torrent, folder);
        await using var silentListener = network.Host(4).Listen(new IPEndPoint(IPAddress.Any, 6881));
        using var stop = new CancellationTokenSource();
        var requested = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var silent = Task.Run(() => TakeRequestsAndStaySilentAsync(silentListener, torrent.InfoHash, torrent.RawInfo.Length, requested, stop.Token));

        // The silent peer takes every piece (four requests per peer cover them); the seeder, added after, gets none.
        await using var fetcher = Fetcher(kit, torrent.InfoHash, network.Host(3), time);
        fetcher.AddPeers([silentListener.LocalEndPoint]);
        var fetch = fetcher.FetchAsync(CancellationToken.None);
        await requested.Task.WaitAsync(Limit);
        fetcher.AddPeers([seeder.LocalEndPoint]);
        await EngineTestKit.WaitAsync(() => kit.LogHas("connected to 10.0.0.3"), Limit, "the seeder to take the fetcher's connection");

        // RequestTimeout (15 s) of fake time: after 14 s the fetch still waits on the silent peer, and nothing happens
        // meanwhile in real time; past 15 s it is dropped and the seeder serves the pieces.
        const string Dropped = "answered no metadata request within 15 s";
        await time.AdvanceInStepsAsync(TimeSpan.FromSeconds(14), Second);
        Assert.False(kit.LogHas(Dropped), "dropped before RequestTimeout had passed");
        Assert.False(fetch.IsCompleted, "fetched while the silent peer still held every piece");
        var waited = await time.AdvanceUntilAsync(fetch, Second, atMost: TimeSpan.FromSeconds(10));

        Assert.InRange(waited, Second, TimeSpan.FromSeconds(8));
        Assert.Equal(torrent.RawInfo.ToArray(), await fetch);
        Assert.True(kit.LogHas(Dropped));
        Assert.Equal([seeder.LocalEndPoint], fetcher.SuppliedBy);
        await stop.CancelAsync();
        await silent.WaitAsync(Limit);
    }

    [Fact]
    public async Task The_fetcher_redials_a_peer_that_timed_out_after_the_redial_delay_but_never_one_without_ut_metadata()
    {
        await using var kit = new EngineTestKit();
        var network = new InMemoryPeerNetwork();
        var time = new FakeTimeProvider();
        var hash = InfoHash.Compute("nobody has it"u8);
        await using var useless = network.Host(5).Listen(new IPEndPoint(IPAddress.Any, 6881));
        await using var slow = network.Host(6).Listen(new IPEndPoint(IPAddress.Any, 6881));
        using var stop = new CancellationTokenSource();
        var uselessVisits = new Visits();
        var slowVisits = new Visits();
        var peers = Task.WhenAll(
            Task.Run(() => AnswerEveryDialAsync(useless, hash, offerMetadata: false, uselessVisits, stop.Token)),
            Task.Run(() => AnswerEveryDialAsync(slow, hash, offerMetadata: true, slowVisits, stop.Token)));

        await using var fetcher = Fetcher(kit, hash, network.Host(3), time);
        fetcher.AddPeers([useless.LocalEndPoint, slow.LocalEndPoint]);
        var fetch = fetcher.FetchAsync(stop.Token);
        await EngineTestKit.WaitAsync(() => kit.LogHas("does not offer ut_metadata"), Limit, "the peer without ut_metadata to be left");
        await EngineTestKit.WaitAsync(() => slowVisits.Count == 1, Limit, "the slow peer to be dialed");

        // The slow peer's request times out (15 s), and it is dialed again after RedialDelay (15 s); the useless one never.
        await time.AdvanceUntilAsync(Task.Run(() => EngineTestKit.WaitAsync(() => slowVisits.Count == 2, Limit, "the redial")), Second, atMost: TimeSpan.FromMinutes(1));
        await time.AdvanceInStepsAsync(TimeSpan.FromSeconds(60), Second);
        Assert.Equal(1, uselessVisits.Count);
        Assert.Contains(useless.LocalEndPoint, fetcher.KnownPeers);

        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => fetch.WaitAsync(Limit));
        await peers.WaitAsync(Limit);
    }

    [Fact]
    public async Task Connecting_where_nobody_listens_is_refused_and_a_closed_end_is_the_end_of_the_other_ones_stream()
    {
        var network = new InMemoryPeerNetwork();
        var refused = await Assert.ThrowsAsync<System.Net.Sockets.SocketException>(
            async () => await network.Host(1).ConnectAsync(new IPEndPoint(IPAddress.Parse("10.0.0.9"), 1), CancellationToken.None));
        Assert.Equal(System.Net.Sockets.SocketError.ConnectionRefused, refused.SocketErrorCode);

        await using var listener = network.Host(2).Listen(new IPEndPoint(IPAddress.Any, 0));
        var client = await network.Host(1).ConnectAsync(listener.LocalEndPoint, CancellationToken.None);
        await using var server = await listener.AcceptAsync(CancellationToken.None).AsTask().WaitAsync(Limit);
        Assert.Equal(client.LocalEndPoint, server.RemoteEndPoint);
        Assert.Equal(IPAddress.Parse("10.0.0.1"), client.LocalEndPoint.Address);

        await client.Stream.WriteAsync("hello"u8.ToArray());
        var buffer = new byte[16];
        var read = await server.Stream.ReadAsync(buffer).AsTask().WaitAsync(Limit);
        Assert.Equal("hello"u8.ToArray(), buffer[..read]);

        var pending = server.Stream.ReadAsync(buffer).AsTask();
        await client.DisposeAsync();
        Assert.Equal(0, await pending.WaitAsync(Limit));
        await Assert.ThrowsAsync<IOException>(async () => await server.Stream.WriteAsync(new byte[10]));
    }

    private static BitTorrentClient Client(EngineTestKit kit, IPeerTransport transport, TimeProvider time, EncryptionMode encryption)
    {
        var client = new BitTorrentClient(
            new BitTorrentClientOptions
            {
                ListenEndPoint = new IPEndPoint(IPAddress.Any, 6881),
                Transport = transport,
                SessionOptions = () => new TorrentSessionOptions { Connection = new PeerConnectionOptions { Encryption = encryption } },
                Log = line => Add(kit, line),
            },
            SecureRandomSource.Instance,
            time);
        client.Start();
        return client;
    }

    private static MetadataFetcher Fetcher(EngineTestKit kit, InfoHash hash, IPeerTransport transport, TimeProvider time) =>
        new(hash, PeerId.Generate(SecureRandomSource.Instance), 6881, new PeerConnectionOptions { Encryption = EncryptionMode.Disable }, line => Add(kit, line), time)
        {
            Transport = transport,
        };

    private static void Add(EngineTestKit kit, string line)
    {
        lock (kit.Log)
        {
            kit.Log.Add(line);
        }
    }

    // A multi-file torrent whose info dictionary spans several metadata pieces.
    private static async Task<(Torrent Torrent, string Folder)> FilesAsync(EngineTestKit kit, int files)
    {
        var folder = kit.Folder("seed");
        var root = Directory.CreateDirectory(Path.Combine(folder, "many")).FullName;
        for (var i = 0; i < files; i++)
        {
            await File.WriteAllBytesAsync(Path.Combine(root, $"a file with a rather long name, number {i:D4}.bin"), EngineTestKit.RandomBytes(10));
        }

        var (_, torrent) = TorrentCreator.Create(root, pieceLength: 16 * 1024);
        Assert.InRange(MetadataMessage.PieceCount(torrent.RawInfo.Length), 2, 4); // several pieces, all asked of one peer at once
        return (torrent, folder);
    }

    private sealed class Visits
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public void Add() => Interlocked.Increment(ref _count);
    }

    // Takes every connection: answers the handshake and an extension handshake (with ut_metadata of 1000 bytes or
    // without), then reads without answering until dropped.
    private static async Task AnswerEveryDialAsync(IPeerListener listener, InfoHash infoHash, bool offerMetadata, Visits visits, CancellationToken stop)
    {
        var open = new List<Task>();
        try
        {
            while (true)
            {
                var link = await listener.AcceptAsync(stop);
                visits.Add();
                open.Add(Task.Run(
                    async () =>
                    {
                        await using (link)
                        {
                            var messages = new Dictionary<string, byte>(StringComparer.Ordinal);
                            if (offerMetadata)
                            {
                                messages["ut_metadata"] = SilentMetadataId;
                            }

                            await AnswerAndDrainAsync(link.Stream, infoHash, new ExtensionHandshake(messages, 1000, "test", null, null, null), stop);
                        }
                    },
                    CancellationToken.None));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
        {
        }

        await Task.WhenAll(open);
    }

    private static async Task AnswerAndDrainAsync(Stream stream, InfoHash infoHash, ExtensionHandshake extensions, CancellationToken stop)
    {
        try
        {
            var theirs = new byte[HandshakeCodec.Length];
            await stream.ReadExactlyAsync(theirs, stop);
            var ours = new byte[HandshakeCodec.Length];
            HandshakeCodec.Write(ours, new Handshake(infoHash, PeerId.Generate(SecureRandomSource.Instance), PeerCapabilities.ExtensionProtocol));
            await stream.WriteAsync(ours, stop);
            await stream.WriteAsync(RawPeer.Extended(0, extensions.Encode()), stop);
            var sink = new byte[4096];
            while (await stream.ReadAsync(sink, stop) > 0)
            {
            }
        }
        catch (Exception e) when (e is OperationCanceledException or EndOfStreamException or IOException)
        {
        }
    }

    // Answers the handshake, offers ut_metadata with the right size, and reads the requests without ever answering.
    private static async Task TakeRequestsAndStaySilentAsync(
        IPeerListener listener, InfoHash infoHash, int size, TaskCompletionSource requested, CancellationToken stop)
    {
        await using var link = await listener.AcceptAsync(stop);
        var stream = link.Stream;
        var theirs = new byte[HandshakeCodec.Length];
        await stream.ReadExactlyAsync(theirs, stop);
        var ours = new byte[HandshakeCodec.Length];
        HandshakeCodec.Write(ours, new Handshake(infoHash, PeerId.Generate(SecureRandomSource.Instance), PeerCapabilities.ExtensionProtocol));
        await stream.WriteAsync(ours, stop);
        var extensions = new ExtensionHandshake(
            new Dictionary<string, byte>(StringComparer.Ordinal) { ["ut_metadata"] = SilentMetadataId }, size, "silent", null, null, null);
        await stream.WriteAsync(RawPeer.Extended(0, extensions.Encode()), stop);
        try
        {
            var prefix = new byte[4];
            while (true)
            {
                await stream.ReadExactlyAsync(prefix, stop);
                var body = new byte[BinaryPrimitives.ReadInt32BigEndian(prefix)];
                await stream.ReadExactlyAsync(body, stop);
                if (body.Length > 2 && body[0] == (byte)PeerMessageType.Extended && body[1] == SilentMetadataId)
                {
                    var request = MetadataMessage.Decode(new ReadOnlySequence<byte>(body, 2, body.Length - 2));
                    Assert.Equal(MetadataMessageType.Request, request.Type);
                    requested.TrySetResult();
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or EndOfStreamException or IOException)
        {
            // Dropped by the fetcher, or the test is over.
        }
    }
}
