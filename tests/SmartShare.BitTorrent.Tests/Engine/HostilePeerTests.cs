using System.Buffers.Binary;
using SmartShare.BitTorrent.Engine;
using SmartShare.BitTorrent.Metainfo;
using SmartShare.BitTorrent.PeerWire;
using SmartShare.BitTorrent.Storage;
using SmartShare.Networking;

namespace SmartShare.BitTorrent.Tests.Engine;

/// <summary>
/// A raw socket misbehaves against a real session while one of our clients downloads from it: the session must drop
/// the offender and keep serving the honest peer.
/// </summary>
public sealed class HostilePeerTests
{
    private const int PieceLength = 128 * 1024;
    private static readonly TimeSpan DropLimit = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    public static TheoryData<string> Offences =>
    [
        "huge length prefix",
        "have past the last piece",
        "bitfield too short",
        "bitfield too long",
        "bitfield with a spare bit set",
        "request flood",
        "request longer than 128 KiB",
        "request past the piece end",
        "request for a piece past the last",
    ];

    [Theory]
    [MemberData(nameof(Offences))]
    public async Task A_misbehaving_peer_is_dropped_while_an_honest_leecher_completes(string offence)
    {
        await using var kit = new EngineTestKit();
        var source = kit.Folder("seed");

        // 25 pieces: a 4-byte bitfield with 7 spare bits.
        var content = EngineTestKit.RandomBytes((3 * 1024 * 1024) + 12345);
        await File.WriteAllBytesAsync(Path.Combine(source, "data.bin"), content);
        var (_, torrent) = TorrentCreator.Create(Path.Combine(source, "data.bin"), pieceLength: PieceLength);
        var pieces = torrent.Info.PieceCount;
        Assert.Equal(25, pieces);

        // The seeder's uploads are slowed so the honest download is still running while the offender acts.
        var seeder = kit.Client(o =>
        {
            o.MaxPeerRequestQueue = 50;
            o.UploadLimiter = new ByteRateLimiter(2 * 1024 * 1024, TimeProvider.System);
        });
        await kit.SeedAsync(seeder, torrent, source);
        var leecher = kit.Client();
        var downloads = kit.Folder("downloads");
        var session = leecher.Add(torrent, kit.Storage(torrent, downloads), resume: null);
        await session.StartAsync(CancellationToken.None);
        session.AddPeers([seeder.LocalEndPoint]);

        await using var raw = await RawPeer.ConnectAsync(seeder.LocalEndPoint, torrent.InfoHash);

        // First prove the connection is live and accepted: interest gets an unchoke.
        await raw.SendAsync(RawPeer.Message(PeerMessageType.Interested));
        await raw.ExpectAsync(PeerMessageType.Unchoke, DropLimit);

        switch (offence)
        {
            case "huge length prefix":
                await raw.SendAsync(new byte[] { 0x7F, 0xFF, 0xFF, 0xFF, 7, 0, 0, 0 });
                break;
            case "have past the last piece":
                await raw.SendAsync(RawPeer.Message(PeerMessageType.Have, pieces));
                break;
            case "bitfield too short":
                await raw.SendAsync(RawPeer.Bitfield([0xFF, 0xFF, 0xFF]));
                break;
            case "bitfield too long":
                await raw.SendAsync(RawPeer.Bitfield([0x80, 0, 0, 0, 0]));
                break;
            case "bitfield with a spare bit set":
                await raw.SendAsync(RawPeer.Bitfield([0x80, 0, 0, 0x01]));
                break;
            case "request flood":
                // Valid requests, far more than the 50 the seeder queues; its uploads are slow, so the queue fills.
                var flood = new List<byte>();
                for (var i = 0; i < 2000; i++)
                {
                    flood.AddRange(RawPeer.Message(PeerMessageType.Request, i % pieces, 0, BlockRequest.BlockSize));
                }

                await raw.SendAsync(flood.ToArray());
                break;
            case "request longer than 128 KiB":
                await raw.SendAsync(RawPeer.Message(PeerMessageType.Request, 0, 0, (128 * 1024) + 1));
                break;
            case "request past the piece end":
                await raw.SendAsync(RawPeer.Message(PeerMessageType.Request, 1, PieceLength - BlockRequest.BlockSize + 1, BlockRequest.BlockSize));
                break;
            case "request for a piece past the last":
                await raw.SendAsync(RawPeer.Message(PeerMessageType.Request, pieces, 0, BlockRequest.BlockSize));
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(offence));
        }

        await raw.ExpectDroppedAsync(DropLimit);
        await EngineTestKit.WaitAsync(
            () => LogHas(kit, $"disconnected from {raw.LocalEndPoint}"), DropLimit, "the seeder to log the drop");

        await CompletedAsync(kit, session);
        Assert.Equal(content, await File.ReadAllBytesAsync(Path.Combine(downloads, "data.bin")));
    }

    [Fact]
    public async Task A_peer_sending_bad_data_is_banned_and_the_honest_seeder_supplies_the_file()
    {
        await using var kit = new EngineTestKit();
        var source = kit.Folder("seed");
        const int SmallPieces = 64 * 1024;
        var content = EngineTestKit.RandomBytes(4 * 1024 * 1024);
        await File.WriteAllBytesAsync(Path.Combine(source, "data.bin"), content);
        var (_, torrent) = TorrentCreator.Create(Path.Combine(source, "data.bin"), pieceLength: SmallPieces);
        var pieces = torrent.Info.PieceCount;

        var honest = kit.Client(o => o.UploadLimiter = new ByteRateLimiter(2 * 1024 * 1024, TimeProvider.System));
        await kit.SeedAsync(honest, torrent, source);
        var leecher = kit.Client(o => o.HashFailuresBeforeBan = 3);
        var downloads = kit.Folder("downloads");
        var session = leecher.Add(torrent, kit.Storage(torrent, downloads), resume: null);
        await session.StartAsync(CancellationToken.None);
        session.AddPeers([honest.LocalEndPoint]);
        await EngineTestKit.WaitAsync(() => session.ConnectedPeers.Count == 1, Limit, "the honest seeder to connect");

        // The liar claims every piece, unchokes at once and answers every request with random bytes.
        await using var liar = await RawPeer.ConnectAsync(leecher.LocalEndPoint, torrent.InfoHash);
        var all = new Bitfield(pieces);
        all.SetAll();
        await liar.SendAsync(RawPeer.Bitfield(all.Bytes));
        await liar.SendAsync(RawPeer.Message(PeerMessageType.Unchoke));
        var answered = 0;
        using (var timeout = new CancellationTokenSource(Limit))
        {
            while (await liar.ReadAsync(timeout.Token) is { } message)
            {
                if (message.Type == PeerMessageType.Request)
                {
                    var index = BinaryPrimitives.ReadInt32BigEndian(message.Payload);
                    var begin = BinaryPrimitives.ReadInt32BigEndian(message.Payload.AsSpan(4));
                    var length = BinaryPrimitives.ReadInt32BigEndian(message.Payload.AsSpan(8));
                    try
                    {
                        await liar.SendAsync(RawPeer.Piece(index, begin, EngineTestKit.RandomBytes(length)));
                    }
                    catch (System.Net.Sockets.SocketException)
                    {
                        break; // dropped mid-send
                    }

                    answered++;
                }
            }
        }

        // It was dropped: for bad data, after at most HashFailuresBeforeBan whole pieces of its own.
        Assert.True(answered >= 3 * (SmallPieces / BlockRequest.BlockSize), $"the liar answered only {answered} requests");
        await EngineTestKit.WaitAsync(() => LogHas(kit, $"banned {liar.LocalEndPoint}"), DropLimit, "the ban to be logged");

        await CompletedAsync(kit, session);
        Assert.Equal(content, await File.ReadAllBytesAsync(Path.Combine(downloads, "data.bin")));
        Assert.True(LogHas(kit, "failed its hash check"));
        Assert.False(LogHas(kit, $"banned {honest.LocalEndPoint}"));
    }

    /// <summary>Waits for the download, failing with its progress and the log when it does not finish.</summary>
    internal static async Task CompletedAsync(EngineTestKit kit, TorrentSession session, TimeSpan? limit = null)
    {
        try
        {
            await session.Completed.WaitAsync(limit ?? Limit);
        }
        catch (TimeoutException)
        {
            string log;
            lock (kit.Log)
            {
                log = string.Join("\n", kit.Log.TakeLast(40));
            }

            throw new TimeoutException($"The download did not complete: {session.Progress}\n{log}");
        }
    }

    internal static bool LogHas(EngineTestKit kit, string text)
    {
        lock (kit.Log)
        {
            return kit.Log.Exists(line => line.Contains(text, StringComparison.Ordinal));
        }
    }
}
