using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace SmartShare.Web.Tests.Ui;

/// <summary>axe-core scans of the main views, light and dark: no serious or critical violation.</summary>
public sealed class UiAccessibilityTests(BrowserFixture browser, ITestOutputHelper output) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task The_main_views_have_no_serious_or_critical_axe_violations()
    {
        await using var node = await WebNode.StartAsync();
        var key = (await UiNodes.ShareAsync(node, UiNodes.MakeFile(node, "accessible.mp4", 80_000), torrent: true))["sd_hash"]!.GetValue<string>();
        await using var ui = await UiSession.OpenAsync(browser, node.Origin);
        await ui.Row(key).WaitForAsync();

        var found = new List<string>();
        await ScanAsync(ui.Page, "list", found);

        await ui.Row(key).GetByRole(AriaRole.Button, new() { Name = "accessible.mp4: details" }).ClickAsync();
        await ui.Page.GetByTestId("detail-pane").GetByTestId("detail-peers").WaitForAsync();
        await ScanAsync(ui.Page, "detail pane", found);

        await ui.Page.GetByRole(AriaRole.Button, new() { Name = "Share…" }).ClickAsync();
        await ui.Page.GetByTestId("share-dialog").WaitForAsync();
        await ScanAsync(ui.Page, "share dialog", found);
        await ui.Page.Keyboard.PressAsync("Escape");
        await ui.Page.GetByTestId("share-dialog").WaitForAsync(new() { State = WaitForSelectorState.Detached });

        await ui.Page.GetByRole(AriaRole.Button, new() { Name = "Settings" }).ClickAsync();
        await ui.Page.GetByTestId("settings-dialog").Locator(".settings").WaitForAsync();
        await ScanAsync(ui.Page, "settings dialog", found);
        await ui.Page.Keyboard.PressAsync("Escape");

        await ui.Page.GetByRole(AriaRole.Button, new() { Name = "Dark theme" }).ClickAsync();
        await ui.WaitAsync("() => document.documentElement.dataset.theme === 'dark'");
        await ScanAsync(ui.Page, "list, dark theme", found);

        Assert.True(found.Count == 0, "Serious or critical axe violations:\n" + string.Join('\n', found));
        Assert.Empty(ui.Errors);
    }

    private async Task ScanAsync(IPage page, string view, List<string> found)
    {
        var result = await page.RunAxe();
        foreach (var violation in result.Violations)
        {
            var line = $"{view}: {violation.Impact} {violation.Id}: {violation.Help} ({string.Join("; ", violation.Nodes.Take(3).Select(n => n.Target?.ToString()))})";
            output.WriteLine(line);
            if (violation.Impact is "serious" or "critical")
            {
                found.Add(line);
            }
        }
    }
}
