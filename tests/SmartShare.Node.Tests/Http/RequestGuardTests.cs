using System.Net;
using System.Text.Json.Nodes;
using SmartShare.Node.Settings;

namespace SmartShare.Node.Tests.Http;

/// <summary>
/// What a web page can make a node on loopback do: nothing. Each hostile request goes to a real node over real
/// HTTP and must be refused with nothing shared, listed or started.
/// </summary>
public sealed class RequestGuardTests : IAsyncLifetime, IDisposable
{
    private const string StreamCreate = """{"method": "stream_create", "params": {"file_path": "FILE"}}""";

    private readonly NodeTestDirectory _directory = new();
    private TestNode? _node;
    private string _secret = string.Empty;

    private TestNode Node => _node!;

    public async Task InitializeAsync()
    {
        _node = await TestNode.StartAsync(
            Path.Combine(_directory.Path, "data"),
            flags: new Dictionary<string, JsonNode?> { [NodeSettingKeys.ApiHosts] = new JsonArray("mybox.lan") });
        _secret = Path.Combine(_directory.Path, "secret.txt");
        await File.WriteAllTextAsync(_secret, "the user's private notes");
    }

    [Fact]
    public async Task A_cross_site_text_plain_post_with_a_foreign_origin_shares_nothing()
    {
        using var request = Node.Request(HttpMethod.Post, "/", CreateBody(), "text/plain");
        request.Headers.TryAddWithoutValidation("Origin", "http://evil.example");
        request.Headers.TryAddWithoutValidation("Sec-Fetch-Site", "cross-site");

        using var response = await Node.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("another web site", await ErrorMessageAsync(response), StringComparison.Ordinal);
        await AssertNothingListedAsync();
    }

    [Theory]
    [InlineData("http://evil.example")]
    [InlineData("null")]
    [InlineData("http://127.0.0.1:1")]
    [InlineData("https://localhost")]
    public async Task A_json_post_from_a_foreign_origin_is_refused_even_after_a_preflight(string origin)
    {
        using var request = Node.Request(HttpMethod.Post, "/", CreateBody());
        request.Headers.TryAddWithoutValidation("Origin", origin);

        using var response = await Node.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        await AssertNothingListedAsync();
    }

    [Fact]
    public async Task Sec_fetch_site_cross_site_alone_is_enough_to_refuse_a_post()
    {
        using var request = Node.Request(HttpMethod.Post, "/", CreateBody());
        request.Headers.TryAddWithoutValidation("Sec-Fetch-Site", "same-site");

        using var response = await Node.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        await AssertNothingListedAsync();
    }

    [Theory]
    [InlineData("evil.example")]
    [InlineData("rebind.attacker.test")]
    [InlineData("127.1")]
    [InlineData("192.0.2.7")]
    public async Task A_foreign_host_header_is_refused_on_every_endpoint(string host)
    {
        using var post = Node.Request(HttpMethod.Post, "/", CreateBody());
        post.Headers.Host = $"{host}:{Node.Host.ApiUri.Port}";
        using var stream = Node.Request(HttpMethod.Get, "/stream/" + new string('a', 96));
        stream.Headers.Host = host;
        using var login = Node.Request(HttpMethod.Post, "/login", """{"password": "x"}""");
        login.Headers.Host = host;

        foreach (var request in new[] { post, stream, login })
        {
            using var response = await Node.SendAsync(request);
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.Contains("does not answer to the name", await ErrorMessageAsync(response), StringComparison.Ordinal);
        }

        await AssertNothingListedAsync();
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("multipart/form-data; boundary=x")]
    public async Task A_post_without_the_json_content_type_is_refused_before_it_runs(string contentType)
    {
        using var request = Node.Request(HttpMethod.Post, "/", CreateBody(), contentType);

        using var response = await Node.SendAsync(request);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Contains("Content-Type: application/json", await ErrorMessageAsync(response), StringComparison.Ordinal);
        await AssertNothingListedAsync();
    }

    [Theory]
    [InlineData("localhost")]
    [InlineData("127.0.0.1")]
    [InlineData("127.0.0.2")]
    [InlineData("[::1]")]
    [InlineData("mybox.lan")]
    [InlineData("MyBox.LAN.")]
    public async Task The_nodes_own_names_same_origin_and_configured_names_are_answered(string host)
    {
        var authority = $"{host}:{Node.Host.ApiUri.Port}";
        using var request = Node.Request(HttpMethod.Post, "/", """{"method": "status", "params": {}}""");
        request.Headers.Host = authority;
        request.Headers.TryAddWithoutValidation("Origin", "http://" + authority);
        request.Headers.TryAddWithoutValidation("Sec-Fetch-Site", "same-origin");

        using var response = await Node.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
    }

    [Fact]
    public async Task A_link_from_another_site_cannot_start_a_download()
    {
        var sdHash = new string('b', 96);
        using var request = Node.Request(HttpMethod.Get, "/stream/" + sdHash);
        request.Headers.TryAddWithoutValidation("Sec-Fetch-Site", "cross-site");
        request.Headers.TryAddWithoutValidation("Sec-Fetch-Mode", "navigate");

        using var response = await Node.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        await AssertNothingListedAsync();
    }

    [Fact]
    public async Task A_page_on_another_site_cannot_embed_a_stream()
    {
        using var request = Node.Request(HttpMethod.Get, "/stream/" + new string('c', 96));
        request.Headers.TryAddWithoutValidation("Sec-Fetch-Site", "cross-site");
        request.Headers.TryAddWithoutValidation("Sec-Fetch-Mode", "no-cors");
        request.Headers.TryAddWithoutValidation("Sec-Fetch-Dest", "video");

        using var response = await Node.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        await AssertNothingListedAsync();
    }

    [Fact]
    public async Task The_cli_style_client_without_origin_still_works()
    {
        var created = (JsonObject)(await Node.CallAsync("stream_create", new JsonObject { ["file_path"] = _secret }))!;

        Assert.Equal(96, created["sd_hash"]!.GetValue<string>().Length);
    }

    [Fact]
    public async Task Stream_urls_use_the_name_the_caller_reached_the_node_by()
    {
        var authority = $"mybox.lan:{Node.Host.ApiUri.Port}";
        using var request = Node.Request(HttpMethod.Post, "/", CreateBody());
        request.Headers.Host = authority;

        using var response = await Node.SendAsync(request);

        var created = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["result"]!;
        Assert.StartsWith($"http://{authority}/stream/{created["sd_hash"]!.GetValue<string>()}", created["streaming_url"]!.GetValue<string>(), StringComparison.Ordinal);
        var listed = (JsonObject)(await Node.CallAsync("file_list"))!;
        Assert.StartsWith(Node.Host.ApiUri.GetLeftPart(UriPartial.Authority) + "/stream/", listed["items"]![0]!["streaming_url"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    public void Dispose() => _directory.Dispose();

    public async Task DisposeAsync()
    {
        if (_node is not null)
        {
            await _node.DisposeAsync();
        }
    }

    private string CreateBody() => StreamCreate.Replace("FILE", _secret.Replace("\\", "\\\\", StringComparison.Ordinal), StringComparison.Ordinal);

    private static async Task<string> ErrorMessageAsync(HttpResponseMessage response)
    {
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        return body["error"]!["message"]!.GetValue<string>();
    }

    private async Task AssertNothingListedAsync()
    {
        var list = (JsonObject)(await Node.CallAsync("file_list"))!;
        Assert.Empty(list["items"]!.AsArray());
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(Node.DataDirectory, "blobs")));
    }
}
