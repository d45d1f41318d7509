using System.Net;
using System.Text.Json.Nodes;
using SmartShare.Node.Remote;

namespace SmartShare.Node.Tests.Remote;

/// <summary>
/// The HTTP side of <c>/transmission/rpc</c> on a real node over loopback: the session-id handshake (the CSRF token),
/// the request guard in front of it, bodies read as JSON whatever their Content-Type, and hostile bodies answered in
/// sentences.
/// </summary>
public sealed class TransmissionRpcHttpTests : IAsyncLifetime, IDisposable
{
    private const string SessionGet = """{"method": "session-get", "tag": 1}""";

    private readonly NodeTestDirectory _directory = new();
    private TestNode? _node;

    private TestNode Node => _node!;

    public async Task InitializeAsync() => _node = await TestNode.StartAsync(Path.Combine(_directory.Path, "data"));

    [Fact]
    public async Task A_request_without_the_session_id_gets_409_with_an_id_that_stays_the_same_and_opens_the_rpc()
    {
        var client = new TransmissionTestClient(Node.Host.ApiUri);

        var first = await client.PostRawAsync(SessionGet, sessionId: null);
        var second = await client.PostRawAsync(SessionGet, sessionId: null, path: TransmissionRpc.Path);
        using var get = await Node.SendAsync(Node.Request(HttpMethod.Get, TransmissionRpc.Path));

        Assert.Equal(HttpStatusCode.Conflict, first.Status);
        Assert.Equal(HttpStatusCode.Conflict, second.Status);
        Assert.Equal(HttpStatusCode.Conflict, get.StatusCode);
        Assert.Matches("^[0-9a-f]{48}$", first.SessionHeader);
        Assert.Equal(first.SessionHeader, second.SessionHeader);
        Assert.Equal(first.SessionHeader, get.Headers.GetValues(TransmissionRpc.SessionIdHeader).Single());
        Assert.Contains("Repeat the request", first.Body, StringComparison.Ordinal);

        // Both paths answer, with or without the trailing slash.
        foreach (var path in new[] { TransmissionTestClient.RpcPath, TransmissionRpc.Path })
        {
            var answer = await client.PostRawAsync(SessionGet, first.SessionHeader, path: path);
            Assert.Equal(HttpStatusCode.OK, answer.Status);
            var session = (JsonObject)JsonNode.Parse(answer.Body)!;
            Assert.Equal("success", session["result"]!.GetValue<string>());
            Assert.Equal(1, session["tag"]!.GetValue<int>());
            Assert.Equal(17, session["arguments"]!["rpc-version"]!.GetValue<int>());
            Assert.Equal(14, session["arguments"]!["rpc-version-minimum"]!.GetValue<int>());
            Assert.Equal(first.SessionHeader, session["arguments"]!["session-id"]!.GetValue<string>());
        }
    }

    [Theory]
    [InlineData("wrong")]
    [InlineData("")]
    public async Task A_wrong_session_id_gets_409_and_runs_nothing(string sessionId)
    {
        var client = new TransmissionTestClient(Node.Host.ApiUri);
        var add = """{"method": "torrent-add", "arguments": {"filename": "magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567"}}""";

        var answer = await client.PostRawAsync(add, sessionId);

        Assert.Equal(HttpStatusCode.Conflict, answer.Status);
        Assert.NotEqual(sessionId, answer.SessionHeader);
        Assert.Empty(await client.TorrentsAsync(null, "id"));
    }

    [Fact]
    public async Task A_foreign_host_or_origin_is_refused_by_the_guard_even_with_the_session_id()
    {
        var client = new TransmissionTestClient(Node.Host.ApiUri);
        await client.SucceedAsync("session-get");

        var host = await client.PostRawAsync(SessionGet, client.SessionId, request => request.Headers.Host = "rebind.attacker.test");
        var origin = await client.PostRawAsync(SessionGet, client.SessionId, request => request.Headers.TryAddWithoutValidation("Origin", "http://evil.example"));

        Assert.Equal(HttpStatusCode.Forbidden, host.Status);
        Assert.Contains("does not answer to the name", host.Body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, origin.Status);
        Assert.Contains("another web site", origin.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_form_urlencoded_body_is_read_as_json_and_a_json_one_too()
    {
        var client = new TransmissionTestClient(Node.Host.ApiUri);
        await client.SucceedAsync("session-stats");

        var json = await client.PostRawAsync(
            """{"method": "session-stats", "tag": 9}""",
            client.SessionId,
            request => request.Content!.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json"));

        Assert.Equal(HttpStatusCode.OK, json.Status);
        var answer = (JsonObject)JsonNode.Parse(json.Body)!;
        Assert.Equal("success", answer["result"]!.GetValue<string>());
        Assert.Equal(0, answer["arguments"]!["torrentCount"]!.GetValue<int>());
        Assert.NotNull(answer["arguments"]!["cumulative-stats"]!["secondsActive"]);
    }

    [Fact]
    public async Task An_oversized_body_is_refused_with_413_and_a_sentence()
    {
        var client = new TransmissionTestClient(Node.Host.ApiUri);
        await client.SucceedAsync("session-get");
        var body = "{\"method\": \"session-get\", \"arguments\": {\"pad\": \"" + new string('x', TransmissionRpc.MaxRequestBytes) + "\"}}";

        var answer = await client.PostRawAsync(body, client.SessionId);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, answer.Status);
        Assert.Contains("larger than", JsonNode.Parse(answer.Body)!["result"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("success", (await client.CallAsync("session-get"))["result"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("garbage{", "not JSON")]
    [InlineData("[1, 2]", "one JSON object")]
    [InlineData("{\"arguments\": {}}", "no method name")]
    [InlineData("{\"method\": 5}", "no method name")]
    [InlineData("{\"method\": \"torrent-get\", \"arguments\": [1]}", "'arguments' must be an object")]
    [InlineData("{\"method\": \"torrent-get\", \"arguments\": {}}", "no fields specified")]
    [InlineData("{\"method\": \"torrent-get\", \"arguments\": {\"fields\": \"name\"}}", "'fields' must be a list")]
    [InlineData("{\"method\": \"torrent-get\", \"arguments\": {\"fields\": [\"id\"], \"ids\": {\"a\": 1}}}", "'ids' must be")]
    [InlineData("{\"method\": \"torrent-get\", \"arguments\": {\"fields\": [\"id\"], \"ids\": [1.5]}}", "'ids' must be")]
    [InlineData("{\"method\": \"torrent-remove\", \"arguments\": {\"delete-local-data\": \"yes\"}}", "'delete-local-data' must be true or false")]
    [InlineData("{\"method\": \"torrent-add\", \"arguments\": {\"metainfo\": \"%%%\"}}", "not base64")]
    [InlineData("{\"method\": \"torrent-add\", \"arguments\": {}}", "either 'filename'")]
    [InlineData("{\"method\": \"session-set\", \"arguments\": {\"speed-limit-up\": -4}}", "'speed-limit-up' must be")]
    [InlineData("{\"method\": \"no-such-method\"}", "method name not recognized")]
    [InlineData("{\"method\": \"session-get\", \"method\": \"torrent-get\"}", "not JSON")]
    [InlineData("{\"method\": \"torrent-get\", \"arguments\": {\"fields\": [\"id\"], \"fields\": [\"name\"]}}", "not JSON")]
    [InlineData("{\"method\": \"torrent-add\", \"arguments\": {\"filename\": 7}}", "'filename' must be a string")]
    [InlineData("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]", "not JSON")]
    public async Task A_hostile_body_gets_a_failure_sentence_and_the_node_keeps_answering(string body, string expected)
    {
        var client = new TransmissionTestClient(Node.Host.ApiUri);
        await client.SucceedAsync("session-get");

        var answer = await client.PostRawAsync(body, client.SessionId);

        Assert.Equal(HttpStatusCode.OK, answer.Status);
        var result = JsonNode.Parse(answer.Body)!["result"]!.GetValue<string>();
        Assert.Contains(expected, result, StringComparison.Ordinal);
        Assert.Equal("success", (await client.CallAsync("session-get"))["result"]!.GetValue<string>());
    }

    [Fact]
    public async Task Session_set_applies_the_download_folder_and_upload_limit_and_ignores_what_it_cannot_apply()
    {
        var client = new TransmissionTestClient(Node.Host.ApiUri);
        var folder = Path.Combine(_directory.Path, "elsewhere");

        await client.SucceedAsync("session-set", new JsonObject
        {
            ["download-dir"] = folder,
            ["speed-limit-up"] = 1024,
            ["speed-limit-up-enabled"] = true,
            ["peer-port"] = 51413,
            ["alt-speed-enabled"] = true,
        });

        var session = await client.SucceedAsync("session-get", new JsonObject { ["fields"] = new JsonArray("download-dir", "speed-limit-up", "speed-limit-up-enabled", "peer-port", "version") });
        Assert.Equal(folder, session["download-dir"]!.GetValue<string>());
        Assert.Equal(1000, Node.Host.Settings.Current.MaxUploadKibPerSecond);
        Assert.Equal(1024, session["speed-limit-up"]!.GetValue<long>());
        Assert.True(session["speed-limit-up-enabled"]!.GetValue<bool>());
        Assert.NotEqual(51413, session["peer-port"]!.GetValue<int>());
        Assert.StartsWith("3.00 (SmartShare ", session["version"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(5, session.Count);

        await client.SucceedAsync("session-set", new JsonObject { ["speed-limit-up-enabled"] = false });
        Assert.Equal(0, Node.Host.Settings.Current.MaxUploadKibPerSecond);
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
