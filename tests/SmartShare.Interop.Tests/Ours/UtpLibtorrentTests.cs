using System.Net;
using SmartShare.BitTorrent;
using SmartShare.BitTorrent.Engine;
using SmartShare.BitTorrent.Metainfo;
using SmartShare.BitTorrent.Storage;
using SmartShare.BitTorrent.Utp;
using SmartShare.Interop.Tests.Clients;

namespace SmartShare.Interop.Tests.Ours;

/// <summary>
/// Our BitTorrent engine over uTP only (BEP 29) against libtorrent 2.0 with TCP switched off both ways, so every
/// byte crosses uTP: a download from a libtorrent seeder and a seed to a libtorrent downloader, compared byte for
/// byte, with MSE on and off.
/// </summary>
public sealed class UtpLibtorrentTests : IAsyncDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(90);
    private readonly InteropDirectory _directory = new();
    private readonly List<IAsyncDisposable> _owned = [];

    [Theory]
    [InlineData("enabled")]
    [InlineData("forced")]
    public async Task Our_engine_downloads_over_utp_from_a_libtorrent_seeder_that_speaks_only_utp(string encryption)
    {
        var seedFolder = _directory.Folder("seed");
        var content = TestFiles.WriteRandom(Path.Combine(seedFolder, "data.bin"), (24 << 20) + 12_345);
        var torrentPath = await MkTorrent.CreateAsync(content, _directory.File("data.torrent"), pieceLengthLog2: 18);
        var torrent = TorrentParser.Parse(await File.ReadAllBytesAsync(torrentPath));
        var seeder = Own(await LibtorrentPeer.StartListeningAsync(new LibtorrentOptions
        {
            Seed = true,
            TorrentPath = torrentPath,
            SavePath = seedFolder,
            Transport = "utp",
            Encryption = encryption,
        }));
        await seeder.WaitForFinishedAsync(TimeSpan.FromSeconds(30));

        var (client, port) = await UtpClientAsync();
        var downloads = _directory.Folder("ours");
        using var storage = new TorrentStorage(torrent.Info, downloads);
        var session = client.Add(torrent, storage, resume: null);
        await session.StartAsync(CancellationToken.None);
        session.AddPeers([seeder.Endpoint]);

        await WithDiagnosticsAsync(session.Completed.WaitAsync(Limit), port, seeder);
        TestFiles.AssertSameFile(content, Path.Combine(downloads, "data.bin"));
        Assert.True(port.Utp.ConnectionsOpened >= 1, "the peer should have been connected over uTP");
    }

    [Fact]
    public async Task A_libtorrent_downloader_that_speaks_only_utp_downloads_from_our_engine()
    {
        var seedFolder = _directory.Folder("seed");
        var content = TestFiles.WriteRandom(Path.Combine(seedFolder, "data.bin"), (24 << 20) + 777);
        var torrentPath = await MkTorrent.CreateAsync(content, _directory.File("data.torrent"), pieceLengthLog2: 18);
        var torrent = TorrentParser.Parse(await File.ReadAllBytesAsync(torrentPath));
        var (client, port) = await UtpClientAsync();
        using var storage = new TorrentStorage(torrent.Info, seedFolder);
        var session = client.Add(torrent, storage, resume: null);
        var all = new Bitfield(torrent.Info.PieceCount);
        all.SetAll();
        await session.StartAsync(CancellationToken.None, all);

        var downloads = _directory.Folder("lt");
        var downloader = Own(await LibtorrentPeer.StartListeningAsync(new LibtorrentOptions
        {
            TorrentPath = torrentPath,
            SavePath = downloads,
            Transport = "utp",
            Peers = [port.LocalEndPoint],
        }));
        await WithDiagnosticsAsync(downloader.WaitForFinishedAsync(Limit), port, downloader);
        TestFiles.AssertSameFile(content, Path.Combine(downloads, "data.bin"));
        Assert.True(port.Utp.ConnectionsOpened >= 1, "the peer should have been connected over uTP");
    }

    public async ValueTask DisposeAsync()
    {
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            await _owned[i].DisposeAsync();
        }

        _directory.Dispose();
    }

    // A stalled transfer fails with both ends' state: our uTP connections' counters and libtorrent's output.
    private static async Task WithDiagnosticsAsync(Task transfer, SharedUdpPort port, LibtorrentPeer libtorrent)
    {
        try
        {
            await transfer;
        }
        catch (Exception ex) when (ex is TimeoutException or Xunit.Sdk.XunitException)
        {
            var connections = string.Join("\n", port.Utp.Connections.Select(connection => connection.Describe()));
            Assert.Fail($"{ex.Message}\nOur uTP connections:\n{connections}\n{libtorrent.Describe()}");
        }
    }

    // Our engine with uTP as its only transport, on a fresh loopback address and a UDP port of its own.
    private async Task<(BitTorrentClient Client, SharedUdpPort Port)> UtpClientAsync()
    {
        var address = LoopbackAddresses.Next();
        var port = Own(SharedUdpPort.Bind(new IPEndPoint(address, 0), SecureRandomSource.Instance));
        var client = Own(new BitTorrentClient(
            new BitTorrentClientOptions
            {
                ListenEndPoint = port.LocalEndPoint,
                Transport = new UtpPeerTransport(port.Utp),
                SessionOptions = () => new TorrentSessionOptions(),
            },
            SecureRandomSource.Instance));
        client.Start();
        return await Task.FromResult((client, port));
    }

    private T Own<T>(T disposable)
        where T : IAsyncDisposable
    {
        _owned.Add(disposable);
        return disposable;
    }
}
