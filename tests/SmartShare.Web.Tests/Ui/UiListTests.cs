using Microsoft.Playwright;

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

    [Fact]
    public async Task Sorting_searching_and_filtering_work_from_the_keyboard()
    {
        await using var node = await WebNode.StartAsync();
        foreach (var (name, seed) in new[] { ("charlie.bin", 1), ("alpha.bin", 2), ("bravo.bin", 3) })
        {
            await UiNodes.ShareAsync(node, UiNodes.MakeFile(node, name, 20_000 * seed, seed), torrent: name == "bravo.bin");
        }

        await using var ui = await UiSession.OpenAsync(browser, node.Origin);
        var page = ui.Page;
        var count = page.Locator(".toolbar .count");
        await Assertions.Expect(count).ToHaveTextAsync("4 transfers");
        var firstName = page.Locator(".transfer-row[aria-rowindex='2'] .name");

        await page.GetByRole(AriaRole.Button, new() { Name = "Sort by Name" }).FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.Locator("[role=columnheader][aria-sort=ascending]")).ToContainTextAsync("Name");
        await Assertions.Expect(firstName).ToHaveTextAsync("alpha.bin");
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.Locator("[role=columnheader][aria-sort=descending]")).ToContainTextAsync("Name");
        await Assertions.Expect(firstName).ToHaveTextAsync("charlie.bin");

        await page.GetByRole(AriaRole.Searchbox, new() { Name = "Search by name" }).FillAsync("BRAV");
        await Assertions.Expect(count).ToHaveTextAsync("2 of 4 transfers");
        await page.GetByRole(AriaRole.Searchbox, new() { Name = "Search by name" }).FillAsync(string.Empty);

        // Pause the torrent, then show only stopped transfers.
        await page.GetByRole(AriaRole.Button, new() { Name = "Pause bravo.bin" }).ClickAsync();
        await page.GetByLabel("Show").SelectOptionAsync("stopped");
        await Assertions.Expect(count).ToHaveTextAsync("1 of 4 transfers");
        await Assertions.Expect(firstName).ToHaveTextAsync("bravo.bin");
        Assert.Empty(ui.Errors);
    }

    [Fact]
    public async Task Without_live_events_the_page_polls_the_list()
    {
        await using var node = await WebNode.StartAsync();
        await using var ui = await UiSession.OpenAsync(browser, node.Origin, prepare: context =>
            context.RouteAsync("**/events", route => route.FulfillAsync(new() { Status = 503, Body = "no events here" })));
        await Assertions.Expect(ui.Page.Locator(".feed")).ToHaveAttributeAsync("data-mode", "polling");

        var key = (await UiNodes.ShareAsync(node, UiNodes.MakeFile(node, "polled.bin", 10_000)))["sd_hash"]!.GetValue<string>();
        await ui.Row(key).WaitForAsync();
        Assert.All(ui.Errors, error => Assert.Contains("/events", error, StringComparison.Ordinal));
    }
}
