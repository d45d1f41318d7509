using System.Buffers;
using System.Net;
using System.Security.Cryptography;
using SmartShare.BitTorrent.Engine;
using SmartShare.BitTorrent.Metainfo;
using SmartShare.BitTorrent.PeerWire;
using SmartShare.BitTorrent.Tests.Metainfo;
using SmartShare.Networking;

namespace SmartShare.BitTorrent.Tests.Engine;

/// <summary>
/// Magnet-link support end to end on loopback: a seeding session serves its info dictionary to a
/// <see cref="MetadataFetcher"/>, lying, rejecting and metadata-less peers do not stop the fetch, PEX teaches a third
/// peer of a second one, the BEP 5 port message reaches the node, and hostile extension messages do not hurt.
/// </summary>
public sealed class MetadataExchangeTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_seeding_session_serves_its_metadata_to_a_fetcher_and_the_result_makes_the_same_torrent()
    {
        await using var kit = new EngineTestKit();
        var (torrent, folder) = await ManyFilesAsync(kit, "seed", 400);
        Assert.True(torrent.RawInfo.Length > 2 * MetadataMessage.BlockSize, "the metadata should span several pieces");
        var seeder = kit.Client();
        await kit.SeedAsync(seeder, torrent, folder);

        await using var fetcher = Fetcher(kit, torrent.InfoHash);
        fetcher.AddPeers([seeder.LocalEndPoint]);
        using var timeout = new CancellationTokenSource(Limit);
        var info = await fetcher.FetchAsync(timeout.Token);

        Assert.Equal(torrent.RawInfo.ToArray(), info);
        var file = TorrentMetadata.ToTorrentFile(info, ["http://tracker.example/announce"]);
        var rebuilt = TorrentParser.Parse(file);
        Assert.Equal(torrent.InfoHash, rebuilt.InfoHash);
        Assert.Equal(torrent.Info.Files.Count, rebuilt.Info.Files.Count);
        Assert.Equal("http://tracker.example/announce", rebuilt.Announce);
    }

    [Fact]
    public async Task A_lying_peer_is_banned_and_an_honest_one_completes_the_fetch()
    {
        await using var kit = new EngineTestKit();
        var (torrent, folder) = await ManyFilesAsync(kit, "seed", 300);
        var seeder = kit.Client();
        await kit.SeedAsync(seeder, torrent, folder);
        await using var liar = new FakeMetadataPeer(torrent.InfoHash, torrent.RawInfo.Length, FakeMetadataPeer.Mode.Lie);

        await using var fetcher = Fetcher(kit, torrent.InfoHash);
        using var timeout = new CancellationTokenSource(Limit);
        var fetch = fetcher.FetchAsync(timeout.Token);
        fetcher.AddPeers([liar.EndPoint]);
        await liar.FirstRequest.Task.WaitAsync(timeout.Token);
        fetcher.AddPeers([seeder.LocalEndPoint]);

        Assert.Equal(torrent.RawInfo.ToArray(), await fetch);
        Assert.True(liar.Requests >= 1);
        Assert.DoesNotContain(liar.EndPoint, fetcher.KnownPeers);
        Assert.Equal([seeder.LocalEndPoint], fetcher.SuppliedBy);
        Assert.Contains(kit.Log.ToList(), line => line.Contains("banned", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public async Task Liars_connected_alongside_an_honest_peer_are_found_out_even_when_they_share_the_pieces(int sizeOffset)
    {
        await using var kit = new EngineTestKit();
        var (torrent, folder) = await ManyFilesAsync(kit, "seed", 400);
        var seeder = kit.Client();
        await kit.SeedAsync(seeder, torrent, folder);
        await using var liar = new FakeMetadataPeer(torrent.InfoHash, torrent.RawInfo.Length + sizeOffset, FakeMetadataPeer.Mode.Lie);
        await using var other = new FakeMetadataPeer(torrent.InfoHash, torrent.RawInfo.Length + sizeOffset, FakeMetadataPeer.Mode.Lie);

        await using var fetcher = Fetcher(kit, torrent.InfoHash);
        fetcher.AddPeers([liar.EndPoint, seeder.LocalEndPoint, other.EndPoint]);
        using var timeout = new CancellationTokenSource(Limit);

        Assert.Equal(torrent.RawInfo.ToArray(), await fetcher.FetchAsync(timeout.Token));
    }

    [Fact]
    public async Task A_rejecting_peer_is_left_and_its_pieces_are_asked_of_another()
    {
        await using var kit = new EngineTestKit();
        var (torrent, folder) = await ManyFilesAsync(kit, "seed", 300);
        var seeder = kit.Client();
        await kit.SeedAsync(seeder, torrent, folder);
        await using var rejecter = new FakeMetadataPeer(torrent.InfoHash, torrent.RawInfo.Length, FakeMetadataPeer.Mode.Reject);

        await using var fetcher = Fetcher(kit, torrent.InfoHash);
        using var timeout = new CancellationTokenSource(Limit);
        var fetch = fetcher.FetchAsync(timeout.Token);
        fetcher.AddPeers([rejecter.EndPoint]);
        await rejecter.FirstRequest.Task.WaitAsync(timeout.Token);
        await rejecter.Disconnected.Task.WaitAsync(timeout.Token);
        fetcher.AddPeers([seeder.LocalEndPoint]);

        Assert.Equal(torrent.RawInfo.ToArray(), await fetch);
    }

    [Fact]
    public async Task A_peer_without_ut_metadata_is_skipped_and_the_seed_it_names_by_pex_serves_the_metadata()
    {
        await using var kit = new EngineTestKit();
        var (torrent, folder) = await ManyFilesAsync(kit, "seed", 20);
        var seeder = kit.Client();
        await kit.SeedAsync(seeder, torrent, folder);
        await using var pointer = new FakeMetadataPeer(torrent.InfoHash, torrent.RawInfo.Length, FakeMetadataPeer.Mode.NoMetadata, pex: seeder.LocalEndPoint);

        await using var fetcher = Fetcher(kit, torrent.InfoHash);
        fetcher.AddPeers([pointer.EndPoint]);
        using var timeout = new CancellationTokenSource(Limit);

        Assert.Equal(torrent.RawInfo.ToArray(), await fetcher.FetchAsync(timeout.Token));
        Assert.Equal(0, pointer.Requests);
        Assert.Contains(seeder.LocalEndPoint, fetcher.LearnedPeers);
    }

    [Fact]
    public async Task A_fetch_with_no_useful_peer_ends_when_the_caller_cancels()
    {
        await using var kit = new EngineTestKit();
        var hash = InfoHash.Compute("nothing"u8);
        await using var silent = new FakeMetadataPeer(hash, 100, FakeMetadataPeer.Mode.NoMetadata);
        await using var fetcher = Fetcher(kit, hash);
        fetcher.AddPeers([silent.EndPoint]);
        using var cancel = new CancellationTokenSource();
        var fetch = fetcher.FetchAsync(cancel.Token);
        await silent.Disconnected.Task.WaitAsync(Limit);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => fetch);
    }

    [Fact]
    public async Task Pex_teaches_a_third_peer_of_a_second_it_was_never_told_about()
    {
        await using var kit = new EngineTestKit();
        var source = kit.Folder("seed");
        var content = EngineTestKit.RandomBytes(4 * 1024 * 1024);
        await File.WriteAllBytesAsync(Path.Combine(source, "data.bin"), content);
        var (_, torrent) = TorrentCreator.Create(Path.Combine(source, "data.bin"), pieceLength: 64 * 1024);

        // The seeder is slow, so both leechers are still downloading (and connected to it) when PEX runs.
        var seeder = kit.Client(o =>
        {
            o.PexInterval = TimeSpan.FromSeconds(1);
            o.UploadLimiter = new ByteRateLimiter(256 * 1024, TimeProvider.System);
        });
        await kit.SeedAsync(seeder, torrent, source);
        var learnt = new List<IPEndPoint>();
        void Configure(TorrentSessionOptions o)
        {
            o.OnPexPeers = peers =>
            {
                lock (learnt)
                {
                    learnt.AddRange(peers);
                }
            };
        }

        var second = kit.Client(o => Configure(o));
        var secondSession = second.Add(torrent, kit.Storage(torrent, kit.Folder("second")), resume: null);
        await secondSession.StartAsync(CancellationToken.None);
        secondSession.AddPeers([seeder.LocalEndPoint]);
        var seederSession = seeder.Find(torrent.InfoHash)!;
        await EngineTestKit.WaitAsync(() => seederSession.ConnectedPeers.Count == 1, Limit, "the second peer to connect to the seeder");

        var third = kit.Client(o => Configure(o));
        var thirdSession = third.Add(torrent, kit.Storage(torrent, kit.Folder("third")), resume: null);
        await thirdSession.StartAsync(CancellationToken.None);
        thirdSession.AddPeers([seeder.LocalEndPoint]);

        // Neither leecher was told of the other: a connection between them can only come from the seeder's PEX.
        await EngineTestKit.WaitAsync(() => thirdSession.ConnectedPeers.Count >= 2, Limit, "the third peer to connect to the second");
        var secondListen = new IPEndPoint(IPAddress.Loopback, second.LocalEndPoint.Port);
        var thirdListen = new IPEndPoint(IPAddress.Loopback, third.LocalEndPoint.Port);
        lock (learnt)
        {
            Assert.True(learnt.Contains(secondListen) || learnt.Contains(thirdListen), "one leecher should have learnt the other by PEX");
            Assert.DoesNotContain(seeder.LocalEndPoint, learnt);
        }
    }

    [Fact]
    public async Task Pex_tells_a_peer_who_joined_and_left_but_never_itself_nor_peers_without_a_listen_port()
    {
        await using var kit = new EngineTestKit();
        var source = kit.Folder("seed");
        await File.WriteAllBytesAsync(Path.Combine(source, "data.bin"), EngineTestKit.RandomBytes(4 * 1024 * 1024));
        var (_, torrent) = TorrentCreator.Create(Path.Combine(source, "data.bin"), pieceLength: 64 * 1024);
        var seeder = kit.Client(o =>
        {
            o.PexInterval = TimeSpan.FromSeconds(1);
            o.UploadLimiter = new ByteRateLimiter(256 * 1024, TimeProvider.System);
        });
        await kit.SeedAsync(seeder, torrent, source);

        // The listener: a raw peer that says it listens on port 1234. A second raw peer gives no port at all.
        await using var listener = await RawPeer.ConnectAsync(seeder.LocalEndPoint, torrent.InfoHash, PeerCapabilities.ExtensionProtocol);
        await listener.SendAsync(RawPeer.Extended(0, new ExtensionHandshake(new Dictionary<string, byte> { ["ut_pex"] = 6 }, null, null, null, 1234, null).Encode()));
        await using var portless = await RawPeer.ConnectAsync(seeder.LocalEndPoint, torrent.InfoHash, PeerCapabilities.ExtensionProtocol);
        await portless.SendAsync(RawPeer.Extended(0, new ExtensionHandshake(new Dictionary<string, byte> { ["ut_pex"] = 6 }, null, null, null, null, null).Encode()));

        var leecher = kit.Client();
        var leecherSession = leecher.Add(torrent, kit.Storage(torrent, kit.Folder("leecher")), resume: null);
        await leecherSession.StartAsync(CancellationToken.None);
        leecherSession.AddPeers([seeder.LocalEndPoint]);
        var leecherListen = new IPEndPoint(IPAddress.Loopback, leecher.LocalEndPoint.Port);

        var added = await ReadPexAsync(listener, m => m.Added.Count > 0);
        Assert.Equal([leecherListen], added.Added.Select(p => p.EndPoint));
        Assert.DoesNotContain(added.Added, p => p.EndPoint.Port == 1234);

        await leecher.RemoveAsync(torrent.InfoHash);
        var dropped = await ReadPexAsync(listener, m => m.Dropped.Count > 0);
        Assert.Equal([leecherListen], dropped.Dropped);

        // The port-less peer is told of the one that listens on 1234, but nobody is told of it.
        var toPortless = await ReadPexAsync(portless, m => m.Added.Count > 0);
        Assert.Contains(new IPEndPoint(IPAddress.Loopback, 1234), toPortless.Added.Select(p => p.EndPoint));
        Assert.All(toPortless.Added, p => Assert.NotEqual(portless.LocalEndPoint, p.EndPoint));
    }

    [Fact]
    public async Task The_extension_handshake_offers_metadata_and_pex_and_answers_requests_and_rejects()
    {
        await using var kit = new EngineTestKit();
        var (torrent, folder) = await ManyFilesAsync(kit, "seed", 300);
        var seeder = kit.Client();
        await kit.SeedAsync(seeder, torrent, folder);

        await using var raw = await RawPeer.ConnectAsync(seeder.LocalEndPoint, torrent.InfoHash, PeerCapabilities.ExtensionProtocol);
        var ours = new ExtensionHandshake(new Dictionary<string, byte> { ["ut_metadata"] = 5, ["ut_pex"] = 6 }, null, "raw", null, null, null);
        await raw.SendAsync(RawPeer.Extended(0, ours.Encode()));
        var theirs = await ReadExtensionHandshakeAsync(raw);
        Assert.Equal(torrent.RawInfo.Length, theirs.MetadataSize);
        Assert.True(theirs.Messages.ContainsKey("ut_pex"));

        await raw.SendAsync(RawPeer.Extended(theirs.Messages["ut_metadata"], MetadataMessage.EncodeRequest(1)));
        var data = await ReadExtendedAsync(raw, 5);
        Assert.Equal(MetadataMessageType.Data, data.Type);
        Assert.Equal(torrent.RawInfo.Slice(MetadataMessage.BlockSize, MetadataMessage.PieceLength(1, torrent.RawInfo.Length)).ToArray(), data.Block.ToArray());

        await raw.SendAsync(RawPeer.Extended(theirs.Messages["ut_metadata"], MetadataMessage.EncodeRequest(999)));
        var reject = await ReadExtendedAsync(raw, 5);
        Assert.Equal(MetadataMessageType.Reject, reject.Type);
        Assert.Equal(999, reject.Piece);
    }

    public static TheoryData<string> HostileMessages =>
    [
        "metadata not bencode",
        "metadata data with a wrong block",
        "metadata request flood",
        "pex not bencode",
        "pex with a ragged peer list",
        "pex of 200 peers, over and over",
    ];

    [Theory]
    [MemberData(nameof(HostileMessages))]
    public async Task Hostile_extension_messages_do_not_stop_the_session_serving_metadata(string offence)
    {
        await using var kit = new EngineTestKit();
        var (torrent, folder) = await ManyFilesAsync(kit, "seed", 40);
        var learnt = 0;
        var seeder = kit.Client(o => o.OnPexPeers = peers => Interlocked.Add(ref learnt, peers.Count));
        await kit.SeedAsync(seeder, torrent, folder);

        await using var raw = await RawPeer.ConnectAsync(seeder.LocalEndPoint, torrent.InfoHash, PeerCapabilities.ExtensionProtocol);
        var ours = new ExtensionHandshake(new Dictionary<string, byte> { ["ut_metadata"] = 5, ["ut_pex"] = 6 }, null, "raw", null, null, null);
        await raw.SendAsync(RawPeer.Extended(0, ours.Encode()));
        var theirs = await ReadExtensionHandshakeAsync(raw);
        var metadataId = theirs.Messages["ut_metadata"];
        var pexId = theirs.Messages["ut_pex"];
        var dropped = true;
        switch (offence)
        {
            case "metadata not bencode":
                await raw.SendAsync(RawPeer.Extended(metadataId, "d8:msg_type"u8));
                break;
            case "metadata data with a wrong block":
                await raw.SendAsync(RawPeer.Extended(metadataId, [.. "d8:msg_typei1e5:piecei0e10:total_sizei100ee"u8, 1, 2, 3]));
                break;
            case "metadata request flood":
                try
                {
                    for (var i = 0; i < 500; i++)
                    {
                        await raw.SendAsync(RawPeer.Extended(metadataId, MetadataMessage.EncodeRequest(0)));
                    }
                }
                catch (System.Net.Sockets.SocketException)
                {
                    // Dropped mid-flood: what the test expects.
                }

                break;
            case "pex not bencode":
                await raw.SendAsync(RawPeer.Extended(pexId, "d5:added"u8));
                break;
            case "pex with a ragged peer list":
                await raw.SendAsync(RawPeer.Extended(pexId, "d5:added5:12345e"u8));
                break;
            case "pex of 200 peers, over and over":
                dropped = false;
                var many = Enumerable.Range(1, 200).Select(i => new PexPeer(new IPEndPoint(new IPAddress([10, 99, (byte)(i / 256), (byte)i]), 1), PexPeerTraits.None)).ToList();
                for (var round = 0; round < 20; round++)
                {
                    await raw.SendAsync(RawPeer.Extended(pexId, new PexMessage(many.Skip(round * 10).ToList(), []).Encode()));
                }

                break;
        }

        if (dropped)
        {
            await raw.ExpectDroppedAsync(Limit);
        }
        else
        {
            // Still connected: a request is answered. At most a burst of three messages of 50 peers each counted.
            await raw.SendAsync(RawPeer.Extended(metadataId, MetadataMessage.EncodeRequest(0)));
            Assert.Equal(MetadataMessageType.Data, (await ReadExtendedAsync(raw, 5)).Type);
            Assert.InRange(Volatile.Read(ref learnt), 1, 3 * PexMessage.MaxPeersPerList);
        }

        await using var fetcher = Fetcher(kit, torrent.InfoHash);
        fetcher.AddPeers([seeder.LocalEndPoint]);
        using var timeout = new CancellationTokenSource(Limit);
        Assert.Equal(torrent.RawInfo.ToArray(), await fetcher.FetchAsync(timeout.Token));
    }

    [Fact]
    public async Task With_a_dht_port_the_session_sends_and_reports_port_messages()
    {
        await using var kit = new EngineTestKit();
        var (torrent, folder) = await ManyFilesAsync(kit, "seed", 3);
        var nodes = new List<IPEndPoint>();
        var seeder = kit.Client(o =>
        {
            o.DhtPort = 4567;
            o.OnDhtNode = node =>
            {
                lock (nodes)
                {
                    nodes.Add(node);
                }
            };
        });
        await kit.SeedAsync(seeder, torrent, folder);

        await using var raw = await RawPeer.ConnectAsync(seeder.LocalEndPoint, torrent.InfoHash, PeerCapabilities.Dht | PeerCapabilities.ExtensionProtocol);
        Assert.True((raw.Remote.Capabilities & PeerCapabilities.Dht) != 0);
        var port = await raw.ExpectAsync(PeerMessageType.Port, Limit);
        Assert.Equal([0x11, 0xD7], port);

        await raw.SendAsync(new byte[] { 0, 0, 0, 3, (byte)PeerMessageType.Port, 0x1E, 0x61 });
        await raw.SendAsync(new byte[] { 0, 0, 0, 3, (byte)PeerMessageType.Port, 0x00, 0x01 }); // only the first counts
        await EngineTestKit.WaitAsync(
            () =>
            {
                lock (nodes)
                {
                    return nodes.Count > 0;
                }
            },
            Limit,
            "the port message to reach OnDhtNode");
        Assert.Equal([new IPEndPoint(IPAddress.Loopback, 7777)], nodes);
    }

    [Fact]
    public async Task A_private_torrent_offers_neither_pex_nor_the_dht_but_still_serves_metadata()
    {
        await using var kit = new EngineTestKit();
        var folder = kit.Folder("seed");
        var content = EngineTestKit.RandomBytes(TorrentBytes.PieceLength);
        await File.WriteAllBytesAsync(Path.Combine(folder, "p.bin"), content);
        var info = new Dictionary<string, object>
        {
            ["name"] = "p.bin",
            ["piece length"] = TorrentBytes.PieceLength,
            ["length"] = content.Length,
            ["pieces"] = SHA1.HashData(content),
            ["private"] = 1,
        };
        var torrent = TorrentParser.Parse(TorrentBytes.Encode(new Dictionary<string, object> { ["info"] = info }));
        var seeder = kit.Client(o => o.DhtPort = 4567);
        var session = await kit.SeedAsync(seeder, torrent, folder);
        Assert.True(session.IsPrivate);

        await using var raw = await RawPeer.ConnectAsync(seeder.LocalEndPoint, torrent.InfoHash, PeerCapabilities.Dht | PeerCapabilities.ExtensionProtocol);
        Assert.Equal(PeerCapabilities.None, raw.Remote.Capabilities & PeerCapabilities.Dht);
        await raw.SendAsync(RawPeer.Extended(0, new ExtensionHandshake(new Dictionary<string, byte> { ["ut_metadata"] = 5 }, null, null, null, null, null).Encode()));
        var theirs = await ReadExtensionHandshakeAsync(raw);
        Assert.False(theirs.Messages.ContainsKey("ut_pex"));
        Assert.True(theirs.Messages.ContainsKey("ut_metadata"));
    }

    private static MetadataFetcher Fetcher(EngineTestKit kit, InfoHash hash) =>
        new(hash, PeerId.Generate(SecureRandomSource.Instance), 0, null, line =>
        {
            lock (kit.Log)
            {
                kit.Log.Add(line);
            }
        })
        {
            RequestTimeout = TimeSpan.FromSeconds(10),
        };

    // A multi-file torrent whose info dictionary is large (long names), over tiny content.
    private static async Task<(Torrent Torrent, string Folder)> ManyFilesAsync(EngineTestKit kit, string name, int files)
    {
        var folder = kit.Folder(name);
        var content = Path.Combine(folder, "content");
        Directory.CreateDirectory(content);
        for (var i = 0; i < files; i++)
        {
            await File.WriteAllBytesAsync(Path.Combine(content, $"file-{i:D4}-with-a-rather-long-name-to-grow-the-info-dictionary.bin"), [(byte)i, 1, 2]);
        }

        var (_, torrent) = TorrentCreator.Create(content, pieceLength: 16 * 1024);
        return (torrent, folder);
    }

    private static async Task<ExtensionHandshake> ReadExtensionHandshakeAsync(RawPeer raw)
    {
        while (true)
        {
            var payload = await raw.ExpectAsync(PeerMessageType.Extended, Limit);
            if (payload[0] == 0)
            {
                return ExtensionHandshake.Decode(new ReadOnlySequence<byte>(payload, 1, payload.Length - 1));
            }
        }
    }

    private static async Task<PexMessage> ReadPexAsync(RawPeer raw, Func<PexMessage, bool> wanted)
    {
        while (true)
        {
            var payload = await raw.ExpectAsync(PeerMessageType.Extended, Limit);
            if (payload[0] == 6)
            {
                var message = PexMessage.Decode(new ReadOnlySequence<byte>(payload, 1, payload.Length - 1));
                if (wanted(message))
                {
                    return message;
                }
            }
        }
    }

    private static async Task<MetadataMessage> ReadExtendedAsync(RawPeer raw, byte id)
    {
        while (true)
        {
            var payload = await raw.ExpectAsync(PeerMessageType.Extended, Limit);
            if (payload[0] == id)
            {
                return MetadataMessage.Decode(new ReadOnlySequence<byte>(payload, 1, payload.Length - 1));
            }
        }
    }
}
