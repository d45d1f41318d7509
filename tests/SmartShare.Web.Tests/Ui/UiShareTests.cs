using Microsoft.Playwright;
using SmartShare.Node.Shares;

namespace SmartShare.Web.Tests.Ui;

/// <summary>Sharing from the browser: a dropped file is uploaded to the node and shared, and its links shown.</summary>
public sealed class UiShareTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task A_dropped_file_is_shared_and_its_smartshare_link_is_the_nodes()
    {
        await using var node = await WebNode.StartAsync();
        await using var ui = await UiSession.OpenAsync(browser, node.Origin);
        var content = new byte[200_000];
        new Random(7).NextBytes(content);

        await UiDrop.DropFileAsync(ui.Page, "dropped clip.mp4", content);
        var dialog = ui.Page.GetByTestId("share-dialog");
        await dialog.WaitForAsync();
        await dialog.GetByRole(AriaRole.Switch, new() { Name = "Also share as a torrent" }).CheckAsync();
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Share", Exact = true }).ClickAsync();

        var linkField = ui.Page.GetByTestId("share-link");
        await linkField.WaitForAsync();
        var link = await linkField.InputValueAsync();
        Assert.StartsWith("smartshare:", link, StringComparison.Ordinal);
        var magnet = await ui.Page.GetByTestId("share-magnet").InputValueAsync();
        Assert.StartsWith("magnet:?xt=urn:btih:", magnet, StringComparison.Ordinal);

        // The link names the stream the node now lists, made from the uploaded copy of the dropped bytes.
        var sdHash = SmartShareCodec.ParseLink(link).SdHash.ToString();
        var listed = await UiNodes.TransferAsync(node, sdHash);
        Assert.NotNull(listed);
        Assert.Equal("share", listed["direction"]!.GetValue<string>());
        var path = listed["download_path"]!.GetValue<string>();
        Assert.Equal(Path.Combine(node.Host.DataDirectory, "uploads", "dropped clip.mp4"), path);
        Assert.Equal(content, await File.ReadAllBytesAsync(path));
        Assert.Equal($"/smartshare/{sdHash}", await ui.Page.GetByRole(AriaRole.Link, new() { Name = "Download .smartshare file" }).GetAttributeAsync("href"));

        await ui.Page.GetByRole(AriaRole.Button, new() { Name = "Done" }).ClickAsync();
        await ui.Row(sdHash).WaitForAsync();
        Assert.Empty(ui.Errors);
    }

    [Fact]
    public async Task A_path_on_the_nodes_machine_is_shared_privately()
    {
        await using var node = await WebNode.StartAsync();
        var file = UiNodes.MakeFile(node, "on-the-node.bin", 50_000);
        await using var ui = await UiSession.OpenAsync(browser, node.Origin);

        await ui.Page.GetByRole(AriaRole.Button, new() { Name = "Share…" }).ClickAsync();
        var dialog = ui.Page.GetByTestId("share-dialog");
        await dialog.GetByLabel("…or a path on the node's machine").FillAsync(file);
        await dialog.GetByRole(AriaRole.Switch, new() { Name = "Private share" }).CheckAsync();
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Share", Exact = true }).ClickAsync();

        var link = await ui.Page.GetByTestId("share-link").InputValueAsync();
        var share = SmartShareCodec.ParseLink(link);
        Assert.True(share.Private);
        await ui.Page.Keyboard.PressAsync("Escape");
        await dialog.WaitForAsync(new() { State = WaitForSelectorState.Detached });
        await ui.Row(share.SdHash.ToString()).Locator(".badge", new() { HasText = "private" }).WaitForAsync();
        Assert.Empty(ui.Errors);
    }

    [Fact]
    public async Task A_slow_upload_shows_its_progress()
    {
        await using var node = await WebNode.StartAsync();
        await using var ui = await UiSession.OpenAsync(browser, node.Origin);

        // Chromium sends at most 400 KB/s, so the 1.2 MB upload takes about three seconds.
        var cdp = await ui.Context.NewCDPSessionAsync(ui.Page);
        await cdp.SendAsync("Network.enable");
        await cdp.SendAsync("Network.emulateNetworkConditions", new Dictionary<string, object>
        {
            ["offline"] = false,
            ["latency"] = 0,
            ["downloadThroughput"] = -1,
            ["uploadThroughput"] = 400_000,
        });
        var content = new byte[1_200_000];
        new Random(8).NextBytes(content);
        await UiDrop.DropFileAsync(ui.Page, "slow upload.bin", content);
        var dialog = ui.Page.GetByTestId("share-dialog");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Share", Exact = true }).ClickAsync();

        // Part-way: the bar shows a fraction strictly between nothing and all.
        await ui.WaitAsync("() => { const p = document.querySelector('.upload-progress progress'); return p && p.value > 0 && p.value < 1; }");
        await ui.Page.GetByTestId("share-link").WaitForAsync();
        Assert.Equal(content, await File.ReadAllBytesAsync(Path.Combine(node.Host.DataDirectory, "uploads", "slow upload.bin")));
        Assert.Empty(ui.Errors);
    }
}
