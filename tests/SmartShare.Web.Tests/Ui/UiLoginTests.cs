using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using SmartShare.Node.Http;
using SmartShare.Node.Settings;

namespace SmartShare.Web.Tests.Ui;

/// <summary>A node with an API password: the page loads, asks for the password, logs in and goes on.</summary>
public sealed class UiLoginTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private const string Password = "correct horse battery";

    [Fact]
    public async Task The_page_asks_for_the_password_and_then_lists_the_transfers()
    {
        await using var node = await WebNode.StartAsync(flags => flags[NodeSettingKeys.ApiPasswordHash] = JsonValue.Create(ApiPassword.Hash(Password, 100_000)));
        var key = (await UiNodes.ShareAsync(node, UiNodes.MakeFile(node, "behind-a-password.bin", 10_000)))["sd_hash"]!.GetValue<string>();

        // Only the UI's files are public; the API and the events still need the password.
        using (var http = new HttpClient())
        {
            using var events = await http.GetAsync(new Uri(node.Origin + "/events"), HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(HttpStatusCode.Unauthorized, events.StatusCode);
        }

        await using var ui = await UiSession.OpenAsync(browser, node.Origin);
        var dialog = ui.Page.GetByTestId("login-dialog");
        await dialog.WaitForAsync();
        await dialog.GetByLabel("Password").FillAsync("wrong password");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
        await Assertions.Expect(dialog.GetByRole(AriaRole.Alert)).ToContainTextAsync("wrong");

        await dialog.GetByLabel("Password").FillAsync(Password);
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
        await dialog.WaitForAsync(new() { State = WaitForSelectorState.Detached });
        await ui.Row(key).WaitForAsync();
        await Assertions.Expect(ui.Page.Locator(".feed")).ToHaveAttributeAsync("data-mode", "live");

        // Before the login the browser logs the refused requests; nothing else may fail.
        Assert.All(ui.Errors, error => Assert.Contains("status of 401", error, StringComparison.Ordinal));
    }
}
