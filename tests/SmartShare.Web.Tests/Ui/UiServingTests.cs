using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace SmartShare.Web.Tests.Ui;

/// <summary>How the node serves its web UI: the files embedded in the assembly, with their headers.</summary>
public sealed class UiServingTests
{
    [Fact]
    public async Task The_page_and_its_files_are_served_with_type_etag_no_cache_and_a_strict_policy()
    {
        await using var node = await WebNode.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(node.Origin) };

        using var page = await http.GetAsync(new Uri("/", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("/ui/app.js", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var policy = string.Join(' ', page.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("default-src 'self'", policy, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", policy, StringComparison.Ordinal);
        Assert.Contains("media-src 'self' blob:", policy, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", policy, StringComparison.Ordinal);
        Assert.True(page.Headers.CacheControl?.NoCache);
        var etag = page.Headers.ETag;
        Assert.NotNull(etag);

        using var again = new HttpRequestMessage(HttpMethod.Get, "/");
        again.Headers.IfNoneMatch.Add(etag);
        using var notModified = await http.SendAsync(again);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);

        foreach (var (path, type) in new[] { ("/ui/app.js", "text/javascript"), ("/ui/style.css", "text/css"), ("/ui/vendor/htm-preact-standalone.module.js", "text/javascript") })
        {
            using var file = await http.GetAsync(new Uri(path, UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, file.StatusCode);
            Assert.Equal(type, file.Content.Headers.ContentType?.MediaType);
            Assert.Equal("nosniff", string.Join(',', file.Headers.GetValues("X-Content-Type-Options")));
        }

        using var head = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/ui/app.js"));
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.True(head.Content.Headers.ContentLength > 0);

        using var missing = await http.GetAsync(new Uri("/ui/nope.js", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        using var outside = await http.GetAsync(new Uri("/ui/../SmartShare.Node.dll", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, outside.StatusCode);
    }

    [Fact]
    public async Task Post_to_the_root_is_still_json_rpc()
    {
        await using var node = await WebNode.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(node.Origin) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", File.ReadAllText(Path.Combine(node.Host.DataDirectory, "api-token")).Trim());
        using var content = new StringContent("{\"method\": \"status\", \"params\": {}}", Encoding.UTF8, "application/json");
        using var answer = await http.PostAsync(new Uri("/", UriKind.Relative), content);
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Contains("\"result\"", await answer.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
