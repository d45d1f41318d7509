using System.Text.Json.Nodes;
using Microsoft.Playwright;

namespace SmartShare.Web.Tests.Ui;

/// <summary>Choosing a torrent's files in the detail pane: the wanted checkbox and the priority select.</summary>
public sealed class UiFileSelectionTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private static readonly TimeSpan DownloadLimit = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Ticking_a_skipped_file_downloads_it_and_a_priority_set_in_the_pane_reaches_the_node()
    {
        await using var sharer = await WebNode.StartAsync();
        await using var receiver = await WebNode.StartAsync();
        var folder = Directory.CreateDirectory(Path.Combine(sharer.Root, "pack")).FullName;
        foreach (var (name, length, seed) in new[] { ("one.bin", 120_001, 1), ("two.bin", 80_003, 2) })
        {
            File.Move(UiNodes.MakeFile(sharer, name, length, seed), Path.Combine(folder, name));
        }

        var shared = (JsonObject)(await sharer.Client.CallAsync("stream_create", new JsonObject
        {
            ["file_path"] = folder,
            ["torrent"] = true,
            ["advertise"] = new JsonArray("127.0.0.1"),
        }))!;
        var infoHash = shared["info_hash"]!.GetValue<string>();
        await receiver.Client.CallAsync("get", new JsonObject { ["uri"] = shared["magnet"]!.GetValue<string>(), ["skip"] = "1" });

        await using var ui = await UiSession.OpenAsync(browser, receiver.Origin);
        var row = ui.Row(infoHash);
        await Assertions.Expect(row.Locator(".col-state")).ToHaveTextAsync("Seeding", new() { Timeout = UiSession.Ms(DownloadLimit) });
        await row.GetByRole(AriaRole.Button, new() { Name = "pack: details" }).ClickAsync();
        var pane = ui.Page.GetByTestId("detail-pane");
        var two = pane.GetByRole(AriaRole.Checkbox, new() { Name = "Download two.bin" });
        await Assertions.Expect(two).Not.ToBeCheckedAsync();
        await Assertions.Expect(pane.GetByRole(AriaRole.Checkbox, new() { Name = "Download one.bin" })).ToBeCheckedAsync();
        var download = Path.Combine(receiver.Root, "downloads", "pack");
        Assert.False(File.Exists(Path.Combine(download, "two.bin")) || File.Exists(Path.Combine(download, "two.bin.part")));

        await two.CheckAsync();
        await pane.GetByRole(AriaRole.Combobox, new() { Name = "Priority of two.bin" }).SelectOptionAsync("high");
        await Assertions.Expect(pane.GetByRole(AriaRole.Combobox, new() { Name = "Priority of two.bin" })).ToHaveValueAsync("high");

        // The checkbox and the select show their new values at once; the node has them when the page's calls
        // return, so wait for that (a time limit, not a fixed sleep).
        JsonNode file;
        using (var limit = new CancellationTokenSource(DownloadLimit))
        {
            while (true)
            {
                var listed = await UiNodes.TransferAsync(receiver, infoHash);
                file = listed!["files"]!.AsArray().Single(f => f!["path"]!.GetValue<string>() == "two.bin")!;
                if (file["priority"]!.GetValue<string>() == "high" && file["wanted"]!.GetValue<bool>())
                {
                    break;
                }

                await Task.Delay(50, limit.Token);
            }
        }

        // The node downloads the file now wanted; the pane shows it held.
        using (var limit = new CancellationTokenSource(DownloadLimit))
        {
            while (!File.Exists(Path.Combine(download, "two.bin")) || (await UiNodes.TransferAsync(receiver, infoHash))!["state"]!.GetValue<string>() != "seeding")
            {
                await Task.Delay(100, limit.Token);
            }
        }

        await Assertions.Expect(pane.Locator("tr", new() { HasText = "two.bin" }).Locator("td:nth-child(3)")).ToHaveTextAsync("78.1 KiB");
        Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(folder, "two.bin")), await File.ReadAllBytesAsync(Path.Combine(download, "two.bin")));
        Assert.Empty(ui.Errors);
    }
}
