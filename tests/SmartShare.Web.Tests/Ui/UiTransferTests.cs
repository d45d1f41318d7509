using System.Text.Json.Nodes;
using Microsoft.Playwright;
using SmartShare.Node.Settings;

namespace SmartShare.Web.Tests.Ui;

/// <summary>Downloading, pausing, resuming and removing through the UI, between two real nodes on loopback.</summary>
public sealed class UiTransferTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private static readonly TimeSpan DownloadLimit = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_dropped_smartshare_file_downloads_to_100_percent_and_removing_with_data_deletes_the_file()
    {
        await using var sharer = await WebNode.StartAsync();
        await using var receiver = await WebNode.StartAsync();
        var content = new byte[3_000_000];
        new Random(3).NextBytes(content);
        var original = Path.Combine(sharer.Root, "lecture.bin");
        await File.WriteAllBytesAsync(original, content);
        var shared = await UiNodes.ShareAsync(sharer, original);
        var sdHash = shared["sd_hash"]!.GetValue<string>();

        // The .smartshare file as the sharer's UI hands it out.
        using var http = new HttpClient();
        var smartshare = await http.GetByteArrayAsync(new Uri($"{sharer.Origin}/smartshare/{sdHash}"));

        await using var ui = await UiSession.OpenAsync(browser, receiver.Origin);
        await UiDrop.DropFileAsync(ui.Page, "lecture.smartshare", smartshare);
        var row = ui.Row(sdHash);
        await row.WaitForAsync();
        await ui.Page.WaitForFunctionAsync(
            "key => document.querySelector(`.transfer-row[data-key='${key}'] [role=progressbar]`)?.getAttribute('aria-valuenow') === '100'",
            sdHash,
            new PageWaitForFunctionOptions { Timeout = UiSession.Ms(DownloadLimit), PollingInterval = 100 });
        Assert.Equal("100%", await row.Locator(".pct").InnerTextAsync());

        var listed = await UiNodes.TransferAsync(receiver, sdHash);
        var downloaded = listed!["download_path"]!.GetValue<string>();
        Assert.Equal(content, await File.ReadAllBytesAsync(downloaded));

        await row.GetByRole(AriaRole.Button, new() { Name = "Remove lecture" }).ClickAsync();
        var dialog = ui.Page.GetByTestId("remove-dialog");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Remove and delete data" }).ClickAsync();
        await row.WaitForAsync(new() { State = WaitForSelectorState.Detached });
        Assert.Null(await UiNodes.TransferAsync(receiver, sdHash));
        Assert.False(File.Exists(downloaded));
        Assert.Empty(ui.Errors);
    }

    [Fact]
    public async Task A_seeded_torrent_pauses_resumes_and_is_removed_keeping_its_file()
    {
        await using var node = await WebNode.StartAsync();
        var file = UiNodes.MakeFile(node, "paused.bin", 40_000);
        var key = (await UiNodes.ShareAsync(node, file, torrent: true))["info_hash"]!.GetValue<string>();
        await using var ui = await UiSession.OpenAsync(browser, node.Origin);
        var row = ui.Row(key);
        var state = row.Locator(".col-state");
        await row.WaitForAsync();

        await row.GetByRole(AriaRole.Button, new() { Name = "Pause paused.bin" }).ClickAsync();
        await Assertions.Expect(state).ToHaveTextAsync("Stopped");
        Assert.Equal("stopped", (await UiNodes.TransferAsync(node, key))!["state"]!.GetValue<string>());

        // Keyboard only: focus the resume button and press Enter.
        await row.GetByRole(AriaRole.Button, new() { Name = "Resume paused.bin" }).FocusAsync();
        await ui.Page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(state).ToHaveTextAsync("Seeding");

        await row.GetByRole(AriaRole.Button, new() { Name = "Remove paused.bin" }).ClickAsync();
        var dialog = ui.Page.GetByTestId("remove-dialog");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Remove, keep data" }).ClickAsync();
        await row.WaitForAsync(new() { State = WaitForSelectorState.Detached });
        Assert.True(File.Exists(file));
        Assert.DoesNotContain(key, await node.ListedAsync());
        Assert.Empty(ui.Errors);
    }

    [Fact]
    public async Task The_detail_pane_shows_the_peer_a_download_comes_from()
    {
        // The sharer serves blobs at 128 KiB/s, so the 3 MB download lasts long enough to watch.
        await using var sharer = await WebNode.StartAsync(flags => flags[NodeSettingKeys.MaxUploadRate] = JsonValue.Create(128));
        await using var receiver = await WebNode.StartAsync();
        var original = UiNodes.MakeFile(sharer, "slow.bin", 3_000_000, seed: 9);
        var smartsharePath = Path.Combine(sharer.Root, "slow.smartshare");
        var sdHash = (await UiNodes.ShareAsync(sharer, original, smartsharePath: smartsharePath))["sd_hash"]!.GetValue<string>();

        await using var ui = await UiSession.OpenAsync(browser, receiver.Origin);
        await UiDrop.DropFileAsync(ui.Page, "slow.smartshare", await File.ReadAllBytesAsync(smartsharePath));
        var row = ui.Row(sdHash);
        await row.GetByRole(AriaRole.Button, new() { Name = "slow.bin: details" }).ClickAsync();
        var pane = ui.Page.GetByTestId("detail-pane");
        await pane.WaitForAsync();

        var peer = pane.GetByTestId("detail-peers").Locator("tr.peer");
        await peer.First.WaitForAsync(new() { Timeout = UiSession.Ms(DownloadLimit) });
        Assert.Contains("127.0.0.1:", await peer.First.InnerTextAsync(), StringComparison.Ordinal);
        Assert.NotEqual("completed", (await UiNodes.TransferAsync(receiver, sdHash))!["state"]!.GetValue<string>());
        Assert.Contains(sdHash, await pane.InnerTextAsync(), StringComparison.Ordinal);

        // Focus went into the pane; Escape closes it and gives focus back to the row's name.
        await Assertions.Expect(pane.GetByRole(AriaRole.Button, new() { Name = "Close details" })).ToBeFocusedAsync();
        await ui.Page.Keyboard.PressAsync("Escape");
        await pane.WaitForAsync(new() { State = WaitForSelectorState.Detached });
        await Assertions.Expect(row.GetByRole(AriaRole.Button, new() { Name = "slow.bin: details" })).ToBeFocusedAsync();
        Assert.Empty(ui.Errors);
    }

    [Fact]
    public async Task The_detail_pane_of_a_torrent_shows_its_files_and_trackers()
    {
        await using var node = await WebNode.StartAsync();
        const string tracker = "http://127.0.0.1:9/announce";
        var file = UiNodes.MakeFile(node, "tracked.bin", 30_000);
        var shared = (JsonObject)(await node.Client.CallAsync("stream_create", new JsonObject
        {
            ["file_path"] = file,
            ["torrent"] = true,
            ["trackers"] = new JsonArray(tracker),
        }))!;
        var infoHash = shared["info_hash"]!.GetValue<string>();

        await using var ui = await UiSession.OpenAsync(browser, node.Origin);
        await ui.Row(infoHash).GetByRole(AriaRole.Button, new() { Name = "tracked.bin: details" }).ClickAsync();
        var pane = ui.Page.GetByTestId("detail-pane");
        await Assertions.Expect(pane.GetByRole(AriaRole.Region, new() { Name = "Trackers" })).ToContainTextAsync(tracker);
        await Assertions.Expect(pane.GetByRole(AriaRole.Link, new() { Name = "Download tracked.bin" })).ToHaveAttributeAsync("href", $"/stream/{infoHash}/0");
        Assert.Empty(ui.Errors);
    }

    [Fact]
    public async Task A_dropped_torrent_file_is_added()
    {
        await using var sharer = await WebNode.StartAsync();
        await using var receiver = await WebNode.StartAsync();
        var shared = await UiNodes.ShareAsync(sharer, UiNodes.MakeFile(sharer, "seeded.bin", 60_000, seed: 4), torrent: true);
        var infoHash = shared["info_hash"]!.GetValue<string>();
        using var http = new HttpClient();
        var torrent = await http.GetByteArrayAsync(new Uri($"{sharer.Origin}/torrent/{infoHash}"));

        await using var ui = await UiSession.OpenAsync(browser, receiver.Origin);
        await UiDrop.DropFileAsync(ui.Page, "seeded.torrent", torrent);
        var row = ui.Row(infoHash);
        await row.WaitForAsync();
        Assert.Equal("torrent", await row.Locator(".col-type").InnerTextAsync());
        Assert.Contains(infoHash, await receiver.ListedAsync());
        Assert.Empty(ui.Errors);
    }
}
