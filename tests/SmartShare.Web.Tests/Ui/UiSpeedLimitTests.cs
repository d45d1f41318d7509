using System.Text.Json.Nodes;
using Microsoft.Playwright;

namespace SmartShare.Web.Tests.Ui;

/// <summary>The status bar's speed limits: the limit in force after each rate, and the alternative-speed toggle.</summary>
public sealed class UiSpeedLimitTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task The_status_bar_shows_the_limits_and_toggles_the_alternative_speeds()
    {
        await using var node = await WebNode.StartAsync();
        await node.Client.CallAsync("settings_set", new JsonObject { ["key"] = "max_download_rate", ["value"] = 2048 });
        await using var ui = await UiSession.OpenAsync(browser, node.Origin);
        var bar = ui.Page.Locator(".status-bar");
        var toggle = bar.GetByRole(AriaRole.Button, new() { Name = "Alt speed off" });

        await Assertions.Expect(bar).ToContainTextAsync("/ 2.00 MiB/s", new() { Timeout = UiSession.Ms(TimeSpan.FromSeconds(20)) });
        await toggle.ClickAsync();
        await Assertions.Expect(ui.Page.Locator(".toast")).ToContainTextAsync("Saved alt_speed_enabled; in effect now.");

        var limits = (await node.Client.CallAsync("status"))!["limits"]!;
        Assert.True(limits["alt_speed_active"]!.GetValue<bool>());
        Assert.Equal(50, limits["download_rate_limit"]!.GetValue<int>());
        await Assertions.Expect(bar.GetByRole(AriaRole.Button, new() { Name = "Alt speed on" })).ToHaveAttributeAsync("aria-pressed", "true", new() { Timeout = UiSession.Ms(TimeSpan.FromSeconds(20)) });
        Assert.Empty(ui.Errors);
    }
}
