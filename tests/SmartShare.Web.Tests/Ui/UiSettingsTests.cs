using System.Text.Json.Nodes;
using Microsoft.Playwright;

namespace SmartShare.Web.Tests.Ui;

/// <summary>Settings, the status bar, adding by a pasted link, and the theme choice that outlives a reload.</summary>
public sealed class UiSettingsTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task Settings_are_saved_through_the_api_with_the_restart_hint()
    {
        await using var node = await WebNode.StartAsync();
        await using var ui = await UiSession.OpenAsync(browser, node.Origin);
        var page = ui.Page;

        // The status bar names the ports the node bound.
        var status = (JsonObject)(await node.Client.CallAsync("status"))!;
        var lbryPort = status["networks"]!["lbry"]!["end_points"]![0]!["port"]!.GetValue<int>();
        await Assertions.Expect(page.Locator(".status-bar")).ToContainTextAsync($"/{lbryPort}");

        await page.GetByRole(AriaRole.Button, new() { Name = "Settings" }).ClickAsync();
        var dialog = page.GetByTestId("settings-dialog");
        await dialog.GetByLabel("max_connections_per_download", new() { Exact = true }).FillAsync("7");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Save max_connections_per_download" }).ClickAsync();
        await Assertions.Expect(dialog).ToContainTextAsync("Saved max_connections_per_download; in effect now.");

        await dialog.GetByRole(AriaRole.Switch, new() { Name = "announce" }).UncheckAsync();
        await Assertions.Expect(dialog).ToContainTextAsync("Saved announce; it takes effect when the node restarts.");

        var settings = (JsonObject)(await node.Client.CallAsync("settings_get"))!;
        Assert.Equal(7, settings["max_connections_per_download"]!.GetValue<int>());
        await page.Keyboard.PressAsync("Escape");
        await dialog.WaitForAsync(new() { State = WaitForSelectorState.Detached });
        Assert.Empty(ui.Errors);
    }

    [Fact]
    public async Task A_pasted_smartshare_link_downloads_and_a_bad_one_is_a_readable_error()
    {
        await using var sharer = await WebNode.StartAsync();
        await using var receiver = await WebNode.StartAsync();
        var shared = await UiNodes.ShareAsync(sharer, UiNodes.MakeFile(sharer, "linked.bin", 500_000, seed: 5));
        var sdHash = shared["sd_hash"]!.GetValue<string>();
        await using var ui = await UiSession.OpenAsync(browser, receiver.Origin);
        var box = ui.Page.GetByLabel("Magnet link, smartshare: link or sd hash");

        await box.FillAsync("smartshare:nonsense");
        await box.PressAsync("Enter");
        await Assertions.Expect(ui.Page.Locator(".toast-error")).ToBeVisibleAsync();

        await box.FillAsync(shared["link"]!.GetValue<string>());
        await box.PressAsync("Enter");
        await Assertions.Expect(ui.Row(sdHash).Locator(".pct")).ToHaveTextAsync("100%", new() { Timeout = UiSession.Ms(UiSession.Limit) });
        Assert.Equal(string.Empty, await box.InputValueAsync());
    }

    [Fact]
    public async Task The_chosen_theme_outlives_a_reload()
    {
        await using var node = await WebNode.StartAsync();
        await using var ui = await UiSession.OpenAsync(browser, node.Origin, new BrowserNewContextOptions { ColorScheme = ColorScheme.Light });
        var toggle = ui.Page.GetByRole(AriaRole.Button, new() { Name = "Dark theme" });
        await Assertions.Expect(toggle).ToHaveAttributeAsync("aria-pressed", "false");
        await toggle.ClickAsync();
        await ui.Page.ReloadAsync();
        await Assertions.Expect(ui.Page.GetByRole(AriaRole.Button, new() { Name = "Dark theme" })).ToHaveAttributeAsync("aria-pressed", "true");
        Assert.Equal("dark", await ui.Page.EvaluateAsync<string>("document.documentElement.dataset.theme"));
        var background = await ui.Page.EvaluateAsync<string>("getComputedStyle(document.body).backgroundColor");
        Assert.Equal("rgb(21, 23, 26)", background);
        Assert.Empty(ui.Errors);
    }
}
