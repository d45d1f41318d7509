using System.Net;
using System.Text.Json.Nodes;

namespace SmartShare.Node.Tests.Http;

/// <summary>Content from the network never runs on the API's origin: what <c>/stream</c> answers, header by header.</summary>
public sealed class StreamContentSafetyTests : IAsyncLifetime, IDisposable
{
    private readonly NodeTestDirectory _directory = new();
    private TestNode? _node;

    private TestNode Node => _node!;

    public async Task InitializeAsync() => _node = await TestNode.StartAsync(Path.Combine(_directory.Path, "data"));

    [Theory]
    [InlineData("page.html", "<html><script>fetch('/', {method: 'POST'})</script></html>")]
    [InlineData("drawing.svg", "<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>")]
    [InlineData("notes.txt", "<script>alert(1)</script>")]
    [InlineData("app.js", "alert(1)")]
    public async Task Anything_but_media_is_a_download_of_bytes_under_a_sandbox(string name, string content)
    {
        using var response = await StreamAsync(name, content);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/octet-stream", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("attachment", response.Content.Headers.ContentDisposition!.DispositionType);
        Assert.Equal(name, response.Content.Headers.ContentDisposition.FileNameStar);
        AssertSandboxed(response);
        Assert.Equal(content, await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("clip.mp4", "video/mp4")]
    [InlineData("song.mp3", "audio/mpeg")]
    [InlineData("photo.png", "image/png")]
    public async Task Audio_video_and_raster_images_play_inline_still_sandboxed(string name, string type)
    {
        using var response = await StreamAsync(name, "not really media, but the type comes from the name");

        Assert.Equal(type, response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("inline", response.Content.Headers.ContentDisposition!.DispositionType);
        AssertSandboxed(response);
    }

    [Fact]
    public async Task A_range_answer_carries_the_same_headers()
    {
        var file = Path.Combine(_directory.Path, "page2.html");
        await File.WriteAllTextAsync(file, "<html>0123456789</html>");
        var created = (JsonObject)(await Node.CallAsync("stream_create", new JsonObject { ["file_path"] = file }))!;
        using var request = new HttpRequestMessage(HttpMethod.Get, created["streaming_url"]!.GetValue<string>());
        request.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(6, 9);

        using var response = await Node.SendAsync(request);

        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        Assert.Equal("application/octet-stream", response.Content.Headers.ContentType!.MediaType);
        AssertSandboxed(response);
        Assert.Equal("0123", await response.Content.ReadAsStringAsync());
    }

    public void Dispose() => _directory.Dispose();

    public async Task DisposeAsync()
    {
        if (_node is not null)
        {
            await _node.DisposeAsync();
        }
    }

    private static void AssertSandboxed(HttpResponseMessage response)
    {
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        var policy = response.Headers.GetValues("Content-Security-Policy").Single();
        Assert.StartsWith("sandbox;", policy, StringComparison.Ordinal);
        Assert.Contains("default-src 'none'", policy, StringComparison.Ordinal);
        Assert.DoesNotContain("allow-scripts", policy, StringComparison.Ordinal);
    }

    private async Task<HttpResponseMessage> StreamAsync(string name, string content)
    {
        var file = Path.Combine(_directory.Path, name);
        await File.WriteAllTextAsync(file, content);
        var created = (JsonObject)(await Node.CallAsync("stream_create", new JsonObject { ["file_path"] = file }))!;
        return await Node.SendAsync(new HttpRequestMessage(HttpMethod.Get, created["streaming_url"]!.GetValue<string>()));
    }
}
