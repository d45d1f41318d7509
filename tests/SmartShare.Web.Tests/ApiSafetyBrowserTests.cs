using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Playwright;

namespace SmartShare.Web.Tests;

/// <summary>
/// The attacks a web page can try on a node the user runs on loopback, made by a real Chromium: requests from
/// another site, DNS rebinding, and a downloaded HTML file opened from the node's own origin. Each test also shows
/// the payload is live (it reaches the node, or works where it should), so the refusal is what stops it.
/// </summary>
public sealed class ApiSafetyBrowserTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private static readonly TimeSpan PageTimeLimit = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_page_on_another_site_cannot_make_the_node_share_a_local_file()
    {
        await using var node = await WebNode.StartAsync();
        var secret = SecretFile(node);
        var body = JsonSerializer.Serialize(new { method = "stream_create", @params = new { file_path = secret } });
        var formName = body[..^2] + ",\"x\":\"";
        const string formValue = "\"}}";
        var page = $$"""
            <!doctype html>
            <iframe name="sink"></iframe>
            <form id="form" method="POST" enctype="text/plain" action="{{node.Origin}}/" target="sink">
              <input type="hidden" name='{{formName}}' value='{{formValue}}'>
            </form>
            <script>
            const node = "{{node.Origin}}/";
            const body = {{JsonSerializer.Serialize(body)}};
            const results = {};
            const settle = (promise) => Promise.race([promise, new Promise(resolve => setTimeout(() => resolve("timeout"), 5000))]);
            async function attack() {
              try { await fetch(node, { method: "POST", mode: "no-cors", headers: { "Content-Type": "text/plain" }, body }); results.textPlain = "reached"; }
              catch (e) { results.textPlain = "failed"; }
              try { const answer = await fetch(node, { method: "POST", headers: { "Content-Type": "application/json" }, body }); results.json = "status " + answer.status; }
              catch (e) { results.json = "blocked"; }
              try { await fetch(node + "api", { method: "POST", mode: "no-cors", body: new Blob([body]) }); results.blob = "reached"; }
              catch (e) { results.blob = "failed"; }
              results.form = await settle(new Promise(resolve => {
                document.querySelector("iframe").addEventListener("load", () => resolve("loaded"), { once: true });
                document.getElementById("form").submit();
              }));
              document.title = "done:" + JSON.stringify(results);
            }
            attack();
            </script>
            """;
        await using var attacker = await AttackerSite.StartAsync(page);

        var results = await RunPageAsync(attacker.Address.ToString());

        Assert.Equal("reached", results["textPlain"]!.GetValue<string>());
        Assert.Equal("reached", results["blob"]!.GetValue<string>());
        Assert.Equal("blocked", results["json"]!.GetValue<string>());
        Assert.Equal("loaded", results["form"]!.GetValue<string>());
        Assert.Empty(await node.ListedAsync());
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(node.Host.DataDirectory, "blobs")));
    }

    [Fact]
    public async Task A_rebound_name_pointing_at_loopback_gets_nothing_from_the_node()
    {
        await using var node = await WebNode.StartAsync();
        var secret = SecretFile(node);
        var port = node.Host.ApiUri.Port;
        var rebound = $"http://{BrowserFixture.RebindHost}:{port}/";
        var body = JsonSerializer.Serialize(new { method = "stream_create", @params = new { file_path = secret } });
        var page = $$"""
            <!doctype html>
            <script>
            (async () => {
              const results = {};
              try {
                const answer = await fetch("/", { method: "POST", headers: { "Content-Type": "application/json" }, body: {{JsonSerializer.Serialize(body)}} });
                results.status = answer.status;
                results.body = await answer.text();
              } catch (e) { results.status = "failed"; results.body = String(e); }
              document.title = "done:" + JSON.stringify(results);
            })();
            </script>
            """;

        // The attacker's page was loaded while its name pointed at the attacker; now the name points at 127.0.0.1,
        // so the page's same-origin requests reach the node. The page itself comes from the route, the rest from the node.
        var results = await RunPageAsync(rebound, async context =>
            await context.RouteAsync(rebound, async route =>
            {
                if (route.Request.Method == "GET")
                {
                    await route.FulfillAsync(new RouteFulfillOptions { ContentType = "text/html", Body = page });
                }
                else
                {
                    await route.ContinueAsync();
                }
            }));

        Assert.True(results["status"]!.GetValueKind() == JsonValueKind.Number, results.ToJsonString());
        Assert.Equal(403, results["status"]!.GetValue<int>());
        Assert.Contains("does not answer to the name", results["body"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Empty(await node.ListedAsync());
    }

    [Fact]
    public async Task A_downloaded_html_file_opened_from_the_node_runs_nothing_on_its_origin()
    {
        await using var node = await WebNode.StartAsync();
        var marker = SecretFile(node);
        var body = JsonSerializer.Serialize(new { method = "stream_create", @params = new { file_path = marker } });
        var html = $$"""
            <!doctype html>
            <script>
            fetch("/", { method: "POST", headers: { "Content-Type": "application/json" }, body: {{JsonSerializer.Serialize(body)}} })
              .then(answer => { document.title = "done:" + JSON.stringify({ status: answer.status }); })
              .catch(() => { document.title = "done:" + JSON.stringify({ status: "failed" }); });
            </script>
            """;
        var htmlFile = Path.Combine(node.Root, "page.html");
        await File.WriteAllTextAsync(htmlFile, html);
        var shared = (JsonObject)(await node.Client.CallAsync("stream_create", new JsonObject { ["file_path"] = htmlFile }))!;
        var streamUrl = shared["streaming_url"]!.GetValue<string>();

        // Opened from the node's stream URL, the file is a download of bytes, never a page.
        await using (var context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions { AcceptDownloads = true }))
        {
            var tab = await context.NewPageAsync();
            var download = await tab.RunAndWaitForDownloadAsync(
                async () =>
                {
                    try
                    {
                        await tab.GotoAsync(streamUrl);
                    }
                    catch (PlaywrightException)
                    {
                        // Chromium ends a navigation that turns into a download with an error.
                    }
                },
                new PageRunAndWaitForDownloadOptions { Timeout = (float)PageTimeLimit.TotalMilliseconds });
            Assert.Equal("page.html", download.SuggestedFilename);
            Assert.Equal(html, await File.ReadAllTextAsync(await download.PathAsync()));
        }

        Assert.Equal([shared["sd_hash"]!.GetValue<string>()], await node.ListedAsync());

        // The control: the same script, were it a page on the node's origin, would share the marker file.
        var control = $"{node.Origin}/control-page";
        var results = await RunPageAsync(control, async context =>
            await context.RouteAsync(control, route => route.FulfillAsync(new RouteFulfillOptions { ContentType = "text/html", Body = html })));
        Assert.Equal(200, results["status"]!.GetValue<int>());
        Assert.Equal(2, (await node.ListedAsync()).Count);
    }

    private static string SecretFile(WebNode node)
    {
        var path = Path.Combine(node.Root, "private-notes-" + Guid.NewGuid().ToString("N") + ".txt");
        File.WriteAllText(path, "the user's private notes");
        return path;
    }

    /// <summary>Opens <paramref name="url"/> in a fresh context and returns what the page put after "done:" in its title.</summary>
    private async Task<JsonObject> RunPageAsync(string url, Func<IBrowserContext, Task>? prepare = null)
    {
        await using var context = await browser.Browser.NewContextAsync();
        if (prepare is not null)
        {
            await prepare(context);
        }

        var page = await context.NewPageAsync();
        await page.GotoAsync(url);
        await page.WaitForFunctionAsync("document.title.startsWith('done:')", null, new PageWaitForFunctionOptions { Timeout = (float)PageTimeLimit.TotalMilliseconds });
        var title = await page.TitleAsync();
        return (JsonObject)JsonNode.Parse(title["done:".Length..])!;
    }
}
