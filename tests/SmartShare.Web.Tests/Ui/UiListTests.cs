namespace SmartShare.Web.Tests.Ui;

/// <summary>The page loads cleanly and lists what the node holds.</summary>
public sealed class UiListTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task The_page_loads_without_console_errors_and_lists_a_shared_transfer()
    {
        await using var node = await WebNode.StartAsync();
        var shared = await UiNodes.ShareAsync(node, UiNodes.MakeFile(node, "holiday-film.mp4", 300_000));
        var key = shared["sd_hash"]!.GetValue<string>();

        await using var ui = await UiSession.OpenAsync(browser, node.Origin);
        var row = ui.Row(key);
        await row.WaitForAsync();
        Assert.Contains("holiday-film.mp4", await row.InnerTextAsync(), StringComparison.Ordinal);
        Assert.Contains("Seeding", await row.Locator(".col-state").InnerTextAsync(), StringComparison.Ordinal);

        // A transfer added after the page loaded shows up without a reload.
        var second = await UiNodes.ShareAsync(node, UiNodes.MakeFile(node, "notes.txt", 5_000, seed: 2));
        await ui.Row(second["sd_hash"]!.GetValue<string>()).WaitForAsync();
        Assert.Empty(ui.Errors);
        Assert.Equal("live", await ui.Page.Locator(".feed").GetAttributeAsync("data-mode"));
    }
}
