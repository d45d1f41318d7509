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
