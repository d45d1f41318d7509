using Microsoft.Playwright;
using Xunit.Abstractions;

namespace SmartShare.Web.Tests.Ui;

/// <summary>
/// Screenshots of the main views for people to look at (artifacts/ui-screenshots/ at the repository root, which git
/// ignores): the list, the detail pane, the share dialog with its links, the dark theme, and a 390 px phone.
/// </summary>
public sealed class UiScreenshotTests(BrowserFixture browser, ITestOutputHelper output) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task Screenshots_of_the_main_views_are_saved()
    {
        var folder = Path.Combine(RepositoryRoot(), "artifacts", "ui-screenshots");
        Directory.CreateDirectory(folder);
        await using var node = await WebNode.StartAsync();
        string[] names = ["Big Buck Bunny 1080p.mp4", "Sintel (2010) 4K.mkv", "Project notes.pdf", "Holiday photos.zip", "Podcast episode 42.mp3"];
        var keys = new List<string>();
        for (var i = 0; i < names.Length; i++)
        {
            var shared = await UiNodes.ShareAsync(node, UiNodes.MakeFile(node, names[i], 150_000 * (i + 1), seed: i), torrent: i % 2 == 0);
            keys.Add(shared["sd_hash"]!.GetValue<string>());
            if (shared["info_hash"] is { } infoHash && i == 2)
            {
                await node.Client.CallAsync("file_set_status", new() { ["key"] = infoHash.GetValue<string>(), ["status"] = "stop" });
            }
        }

        await using var ui = await UiSession.OpenAsync(browser, node.Origin, new BrowserNewContextOptions { ViewportSize = new() { Width = 1280, Height = 720 }, ColorScheme = ColorScheme.Light });
        var page = ui.Page;
        await Assertions.Expect(page.Locator(".toolbar .count")).ToHaveTextAsync("8 transfers");
        await Assertions.Expect(page.Locator(".feed")).ToHaveAttributeAsync("data-mode", "live");
        await SaveAsync(page, folder, "list.png");

        await ui.Row(keys[0]).GetByRole(AriaRole.Button, new() { Name = $"{names[0]}: details" }).ClickAsync();
        await page.GetByTestId("detail-pane").GetByTestId("detail-peers").WaitForAsync();
        await SaveAsync(page, folder, "detail.png");
        await page.GetByRole(AriaRole.Button, new() { Name = "Close details" }).ClickAsync();

        await page.GetByRole(AriaRole.Button, new() { Name = "Share…" }).ClickAsync();
        var dialog = page.GetByTestId("share-dialog");
        await SaveAsync(page, folder, "share-dialog.png");
        await dialog.GetByLabel("…or a path on the node's machine").FillAsync(UiNodes.MakeFile(node, "Conference talk.webm", 120_000, seed: 11));
        await dialog.GetByRole(AriaRole.Switch, new() { Name = "Also share as a torrent" }).CheckAsync();
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Share", Exact = true }).ClickAsync();
        await page.GetByTestId("share-link").WaitForAsync();
        await SaveAsync(page, folder, "share-result.png");
        await page.GetByRole(AriaRole.Button, new() { Name = "Done" }).ClickAsync();
        await Assertions.Expect(page.Locator(".toolbar .count")).ToHaveTextAsync("10 transfers");

        await page.GetByRole(AriaRole.Button, new() { Name = "Dark theme" }).ClickAsync();
        await ui.WaitAsync("() => document.documentElement.dataset.theme === 'dark'");
        await SaveAsync(page, folder, "list-dark.png");

        await page.SetViewportSizeAsync(390, 844);
        await SaveAsync(page, folder, "phone-list-dark.png");
        await page.GetByRole(AriaRole.Button, new() { Name = "Dark theme" }).ClickAsync();
        await ui.WaitAsync("() => document.documentElement.dataset.theme === 'light'");
        await SaveAsync(page, folder, "phone-list.png");
        await ui.Row(keys[0]).GetByRole(AriaRole.Button, new() { Name = $"{names[0]}: details" }).ClickAsync();
        await page.GetByTestId("detail-pane").GetByTestId("detail-peers").WaitForAsync();
        await SaveAsync(page, folder, "phone-detail.png");

        // Nothing is wider than the phone's screen.
        Assert.True(await page.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth"));
        Assert.Empty(ui.Errors);
    }

    private async Task SaveAsync(IPage page, string folder, string name)
    {
        var path = Path.Combine(folder, name);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, Animations = ScreenshotAnimations.Disabled });
        output.WriteLine(path);
        Assert.True(new FileInfo(path).Length > 0);
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "SmartShare.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("The repository root (the folder of SmartShare.slnx) was not found above " + AppContext.BaseDirectory);
    }
}
