using SmartShare.Interop.Tests.Clients;

namespace SmartShare.Interop.Tests.Harness;

/// <summary>
/// Harness self-test: Transmission downloads from a libtorrent seeder. Transmission never dials 127.x peers
/// (facts point 1), so the seeder dials Transmission.
/// </summary>
public sealed class LibtorrentToTransmissionTests : IDisposable
{
    private readonly InteropDirectory _directory = new();

    [Fact]
    public async Task Transmission_downloads_from_a_libtorrent_seeder_that_dials_it()
    {
        var seedFolder = _directory.Folder("seed");
        var source = TestFiles.WriteRandom(Path.Combine(seedFolder, "for-transmission.bin"), (2 << 20) + 4_321);
        var torrent = await MkTorrent.CreateAsync(source, _directory.File("for-transmission.torrent"), pieceLengthLog2: 16);

        await using var seeder = await LibtorrentPeer.StartListeningAsync(new LibtorrentOptions { Seed = true, TorrentPath = torrent, SavePath = seedFolder });
        await seeder.WaitForFinishedAsync(TimeSpan.FromSeconds(15));

        var downloads = _directory.Folder("transmission");
        await using var transmission = await Transmission.StartAsync(torrent, downloads);
        seeder.ConnectPeer(transmission.Endpoint);

        // About 14 s to the first byte: Transmission's first "interested" waits for its rechoke timer.
        await transmission.WaitForFinishedAsync(TimeSpan.FromSeconds(40));

        TestFiles.AssertSameFile(source, Path.Combine(downloads, "for-transmission.bin"));
    }

    public void Dispose() => _directory.Dispose();
}
