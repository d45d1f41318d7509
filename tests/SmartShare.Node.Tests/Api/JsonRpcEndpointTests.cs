using System.Net;
using System.Text.Json.Nodes;
using SmartShare.Node.Api;
using SmartShare.Node.Client;

namespace SmartShare.Node.Tests.Api;

/// <summary>The JSON-RPC envelope and its errors, against a real node on a free loopback port.</summary>
public sealed class JsonRpcEndpointTests : IAsyncLifetime, IDisposable
{
    private readonly NodeTestDirectory _directory = new();
    private TestNode? _node;

    private TestNode Node => _node!;

    public async Task InitializeAsync() => _node = await TestNode.StartAsync(_directory.Path);

    [Fact]
    public async Task An_unknown_method_is_32601_and_names_the_method()
    {
        var (status, body) = await Node.PostRawAsync("""{"method": "no_such_thing", "params": {}}""");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(-32601, body["error"]!["code"]!.GetValue<int>());
        Assert.Contains("'no_such_thing'", body["error"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.False(body.ContainsKey("result"));
    }

    [Fact]
    public async Task A_bad_parameter_is_32602_and_names_the_parameter()
    {
        var error = await Assert.ThrowsAsync<NodeApiException>(() => Node.CallAsync("blob_list", new JsonObject { ["page_size"] = "ten" }));

        Assert.Equal(-32602, error.Code);
        Assert.Contains("'page_size'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_parameter_is_32602_and_names_it()
    {
        var error = await Assert.ThrowsAsync<NodeApiException>(() => Node.CallAsync("peer_list"));

        Assert.Equal(-32602, error.Code);
        Assert.Contains("'blob_hash' is required", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"method": "status", "method": "status"}""")]
    [InlineData("""{"method": "file_list", "params": {"key": "a", "key": "b"}}""")]
    [InlineData("""{"method": "status", "params": {"a": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}}""")]
    public async Task A_key_given_twice_or_nesting_past_32_levels_is_a_parse_error_not_a_crash(string request)
    {
        var (status, body) = await Node.PostRawAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(-32700, body["error"]!["code"]!.GetValue<int>());
    }

    [Fact]
    public async Task Invalid_json_is_a_parse_error()
    {
        var (status, body) = await Node.PostRawAsync("""{"method": "status",""");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(-32700, body["error"]!["code"]!.GetValue<int>());
        Assert.DoesNotContain(" at ", body["error"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Theory]
    // The method name, then a parameter, holding a byte that is not UTF-8 (as the transmission-rpc fuzz target
    // found for its endpoint): the JSON reader let them through and reading the string threw, a 500 or an internal error.
    [InlineData("7b226d6574686f64223a2273ff7461747573227d")]
    [InlineData("7b226d6574686f64223a2266696c655f6c697374222c22706172616d73223a7b22736f72745f6279223a22ff227d7d")]
    public async Task A_body_that_is_not_utf8_is_a_parse_error(string hex)
    {
        using var request = Node.Request(HttpMethod.Post, "/");
        request.Content = new ByteArrayContent(Convert.FromHexString(hex));
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");

        using var response = await Node.SendAsync(request);
        var body = (JsonObject)JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(-32700, body["error"]!["code"]!.GetValue<int>());
        Assert.Contains("not UTF-8", body["error"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[1, 2]")]
    [InlineData("""{"params": {}}""")]
    [InlineData("""{"method": 7}""")]
    public async Task A_request_that_is_not_a_method_call_is_invalid(string request)
    {
        var (_, body) = await Node.PostRawAsync(request);

        Assert.Equal(-32600, body["error"]!["code"]!.GetValue<int>());
    }

    [Fact]
    public async Task Positional_params_are_refused_as_invalid_params()
    {
        var (_, body) = await Node.PostRawAsync("""{"method": "status", "params": [1]}""");

        Assert.Equal(-32602, body["error"]!["code"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_request_over_the_limit_is_refused_with_413()
    {
        var (status, body) = await Node.PostRawAsync("{\"method\": \"status\", \"params\": {\"pad\": \"" + new string('x', JsonRpcEndpoint.MaxRequestBytes) + "\"}}");

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Equal(-32600, body["error"]!["code"]!.GetValue<int>());
        Assert.Contains($"{JsonRpcEndpoint.MaxRequestBytes / 1024 / 1024} MiB", body["error"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Id_and_jsonrpc_are_echoed_and_api_path_also_answers()
    {
        var (status, body) = await Node.PostRawAsync("""{"jsonrpc": "2.0", "id": "abc", "method": "method_list"}""", "/api");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("2.0", body["jsonrpc"]!.GetValue<string>());
        Assert.Equal("abc", body["id"]!.GetValue<string>());
        var names = body["result"]!.AsArray().Select(method => method!["name"]!.GetValue<string>()).ToList();
        Assert.Superset(
            new HashSet<string> { "status", "stop", "help", "method_list", "settings_get", "settings_set", "blob_list", "peer_list", "get", "stream_create", "file_list", "file_delete" },
            names.ToHashSet());
    }

    [Fact]
    public async Task Help_describes_one_method()
    {
        var help = await Node.CallAsync("help", new JsonObject { ["command"] = "blob_list" });

        Assert.Equal("blob_list", help!["name"]!.GetValue<string>());
        Assert.Contains("page", help["description"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    public async Task DisposeAsync()
    {
        if (_node is not null)
        {
            await _node.DisposeAsync();
        }
    }

    public void Dispose() => _directory.Dispose();
}
