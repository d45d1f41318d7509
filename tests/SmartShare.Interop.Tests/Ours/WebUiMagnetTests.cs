using Microsoft.Playwright;
using SmartShare.Interop.Tests.Clients;
using SmartShare.Web.Tests;
using SmartShare.Web.Tests.Ui;

namespace SmartShare.Interop.Tests.Ours;

/// <summary>
/// The web UI in Debian's Chromium adds a magnet link pasted into its add box, and our node fetches the metadata and
/// then the file from a libtorrent seeder the link names (x.pe), with no tracker and no DHT: the row reaches 100% and
/// the file on disk is the seeder's byte for byte.
/// </summary>
public sealed class WebUiMagnetTests(BrowserFixture browser) : IClassFixture<BrowserFixture>, IDisposable
{
    private readonly InteropDirectory _directory = new();

    [Fact]
    public async Task A_magnet_pasted_in_the_web_ui_downloads_from_a_libtorrent_seeder()
    {
        var seedFolder = _directory.Folder("seed");
        var source = TestFiles.WriteRandom(Path.Combine(seedFolder, "concert.bin"), (3 << 20) + 123);
        var torrent = await MkTorrent.CreateAsync(source, _directory.File("concert.torrent"), pieceLengthLog2: 16);
        var infoHash = MkTorrent.InfoHashOf(torrent).ToString();
        await using var seeder = await LibtorrentPeer.StartListeningAsync(new LibtorrentOptions { Seed = true, TorrentPath = torrent, SavePath = seedFolder });
        await seeder.WaitForFinishedAsync(TimeSpan.FromSeconds(15));
        await using var node = await OurNode.StartAsync(_directory.Folder("ours"));
        var origin = node.Host.ApiUri.GetLeftPart(UriPartial.Authority);
        var magnet = $"magnet:?xt=urn:btih:{infoHash}&dn=concert.bin&x.pe={seeder.Endpoint}";

        await using var ui = await UiSession.OpenAsync(browser, origin);
        await ui.Page.GetByLabel("Magnet link, smartshare: link or sd hash").FillAsync(magnet);
        await ui.Page.GetByRole(AriaRole.Button, new() { Name = "Add", Exact = true }).ClickAsync();

        var row = ui.Row(infoHash);
        await row.WaitForAsync();
        await ui.Page.WaitForFunctionAsync(
            "key => document.querySelector(`.transfer-row[data-key='${key}'] [role=progressbar]`)?.getAttribute('aria-valuenow') === '100'",
            infoHash,
            new PageWaitForFunctionOptions { Timeout = 60_000, PollingInterval = 100 });
        await Assertions.Expect(row).ToContainTextAsync("concert.bin");
        TestFiles.AssertSameFile(source, Path.Combine(node.Downloads, "concert.bin"));
        Assert.Empty(ui.Errors);
    }

    public void Dispose() => _directory.Dispose();
}
