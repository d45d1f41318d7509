using System.Buffers.Binary;
using SmartShare.BitTorrent.Engine;
using SmartShare.BitTorrent.Metainfo;
using SmartShare.BitTorrent.PeerWire;
using SmartShare.Networking;

namespace SmartShare.BitTorrent.Tests.Engine;

public sealed class FastExtensionTests
{
    [Fact]
    public async Task Choking_a_fast_peer_rejects_every_request_it_still_had_queued()
    {
        await using var kit = new EngineTestKit();
        var source = kit.Folder("seed");
        await File.WriteAllBytesAsync(Path.Combine(source, "data.bin"), EngineTestKit.RandomBytes(1024 * 1024));
        var (_, torrent) = TorrentCreator.Create(Path.Combine(source, "data.bin"), pieceLength: 64 * 1024);

        // Slow uploads (two blocks a second) and a choke round every second.
        var seeder = kit.Client(o =>
        {
            o.ChokeInterval = TimeSpan.FromSeconds(1);
            o.UploadLimiter = new ByteRateLimiter(2 * BlockRequest.BlockSize, TimeProvider.System);
        });
        await kit.SeedAsync(seeder, torrent, source);

        await using var raw = await RawPeer.ConnectAsync(seeder.LocalEndPoint, torrent.InfoHash, PeerCapabilities.Fast);
        await raw.SendAsync(RawPeer.Message(PeerMessageType.HaveNone));
        await raw.SendAsync(RawPeer.Message(PeerMessageType.Interested));
        await raw.ExpectAsync(PeerMessageType.Unchoke, TimeSpan.FromSeconds(10));

        // Forty requests (twenty seconds of uploads), then no more interest: the next choke round chokes us.
        const int Requests = 40;
        var pending = new HashSet<(int, int)>();
        var batch = new List<byte>();
        for (var i = 0; i < Requests; i++)
        {
            var (index, begin) = (i / 4, i % 4 * BlockRequest.BlockSize);
            pending.Add((index, begin));
            batch.AddRange(RawPeer.Message(PeerMessageType.Request, index, begin, BlockRequest.BlockSize));
        }

        batch.AddRange(RawPeer.Message(PeerMessageType.NotInterested));
        await raw.SendAsync(batch.ToArray());

        // BEP 6: with the fast extension a choke no longer cancels requests; each gets its block or a reject.
        var choked = false;
        var rejected = 0;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            while (pending.Count > 0)
            {
                var message = await raw.ReadAsync(timeout.Token) ?? throw new InvalidOperationException("The seeder dropped us.");
                choked |= message.Type == PeerMessageType.Choke;
                if (message.Type is PeerMessageType.Piece or PeerMessageType.Reject)
                {
                    var key = (BinaryPrimitives.ReadInt32BigEndian(message.Payload), BinaryPrimitives.ReadInt32BigEndian(message.Payload.AsSpan(4)));
                    Assert.True(pending.Remove(key), $"an answer to {key}, which was not pending");
                    rejected += message.Type == PeerMessageType.Reject ? 1 : 0;
                }
            }
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"{pending.Count} of {Requests} requests were neither served nor rejected (choked: {choked}, rejected: {rejected}).");
        }

        Assert.True(choked);
        Assert.True(rejected > 0);
    }
}

public sealed class RequestQueueTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(10)]
    [InlineData(100)]
    public async Task A_leecher_keeps_no_more_requests_outstanding_than_the_peer_advertises(int reqq)
    {
        await using var kit = new EngineTestKit();
        var content = EngineTestKit.RandomBytes((1024 * 1024) + 3000);
        var source = kit.Folder("seed");
        await File.WriteAllBytesAsync(Path.Combine(source, "data.bin"), content);
        var (_, torrent) = TorrentCreator.Create(Path.Combine(source, "data.bin"), pieceLength: 64 * 1024);
        var leecher = kit.Client();
        var downloads = kit.Folder("downloads");
        var session = leecher.Add(torrent, kit.Storage(torrent, downloads), resume: null);
        await session.StartAsync(CancellationToken.None);

        // A seeder by hand that advertises reqq and answers each batch of requests once the batch has arrived.
        await using var raw = await RawPeer.ConnectAsync(leecher.LocalEndPoint, torrent.InfoHash, PeerCapabilities.ExtensionProtocol);
        var handshake = new ExtensionHandshake(new Dictionary<string, byte>(), MetadataSize: null, Client: "raw", RequestQueue: reqq, ListenPort: null, YourIp: null);
        await raw.SendAsync(RawPeer.Extended(0, handshake.Encode()));
        var all = new Bitfield(torrent.Info.PieceCount);
        all.SetAll();
        await raw.SendAsync(RawPeer.Bitfield(all.Bytes));
        await raw.SendAsync(RawPeer.Message(PeerMessageType.Unchoke));

        var pending = new List<(int Index, int Begin, int Length)>();
        var most = 0;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (await raw.ReadAsync(timeout.Token) is { } message)
        {
            if (message.Type == PeerMessageType.Request)
            {
                pending.Add((
                    BinaryPrimitives.ReadInt32BigEndian(message.Payload),
                    BinaryPrimitives.ReadInt32BigEndian(message.Payload.AsSpan(4)),
                    BinaryPrimitives.ReadInt32BigEndian(message.Payload.AsSpan(8))));
            }

            if (pending.Count > 0 && raw.Available == 0)
            {
                most = Math.Max(most, pending.Count);
                var answers = new List<byte>();
                foreach (var (index, begin, length) in pending)
                {
                    answers.AddRange(RawPeer.Piece(index, begin, content.AsSpan((index * 64 * 1024) + begin, length)));
                }

                pending.Clear();
                await raw.SendAsync(answers.ToArray());
            }
        }

        // The leecher closes a seed once it is complete.
        await HostilePeerTests.CompletedAsync(kit, session);
        Assert.Equal(content, await File.ReadAllBytesAsync(Path.Combine(downloads, "data.bin")));
        Assert.InRange(most, 1, reqq);
    }
}
