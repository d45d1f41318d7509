using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using SmartShare.Node.Client;

namespace SmartShare.Node.Tests.Api;

/// <summary>
/// The in-process API (what the CLI's one-off node uses): the same answers as the node gives over HTTP, byte for byte
/// in their JSON, without a socket; anything but a JSON-RPC call still goes over HTTP, through the node's checks.
/// </summary>
public sealed class InProcessApiHandlerTests : IAsyncLifetime, IDisposable
{
    private const string Password = "in process";

    private readonly NodeTestDirectory _directory = new();
    private TestNode? _node;

    private TestNode Node => _node!;

    public async Task InitializeAsync() => _node = await TestNode.StartWithPasswordAsync(Path.Combine(_directory.Path, "data"), Password);

    [Theory]
    [InlineData("""{"jsonrpc": "2.0", "id": 7, "method": "method_list", "params": {}}""")]
    [InlineData("""{"jsonrpc": "2.0", "id": "x", "method": "no_such_thing", "params": {}}""")]
    [InlineData("""{"id": 1, "method": "blob_list", "params": {"page_size": "ten"}}""")]
    [InlineData("""{"id": 2, "method": "peer_list", "params": {}}""")]
    [InlineData("""{"method": "status", "method": "status"}""")]
    [InlineData("""[1, 2, 3]""")]
    [InlineData("""{"method": """)]
    public async Task A_call_gets_the_answer_it_gets_over_http(string body)
    {
        using var overHttp = Node.Request(HttpMethod.Post, "/", body);
        overHttp.Headers.Authorization = NodeApiCredentials.Basic(Password);
        using var httpAnswer = await Node.SendAsync(overHttp);
        var expected = await httpAnswer.Content.ReadAsStringAsync();

        using var inProcess = new HttpClient(Node.Host.CreateInProcessApiHandler());
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var answer = await inProcess.PostAsync(Node.Host.ApiUri, content);

        Assert.Equal(httpAnswer.StatusCode, answer.StatusCode);
        Assert.Equal("application/json", answer.Content.Headers.ContentType?.MediaType);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), JsonNode.Parse(await answer.Content.ReadAsStringAsync())), expected);
    }

    [Fact]
    public async Task The_node_api_client_calls_through_it_and_a_call_that_fails_throws_as_over_http()
    {
        using var client = new NodeApiClient(Node.Host.ApiUri, Node.Host.CreateInProcessApiHandler());

        var status = await client.CallAsync("status");
        Assert.Equal(Node.DataDirectory, status?["data_dir"]?.GetValue<string>());
        var error = await Assert.ThrowsAsync<NodeApiException>(() => client.CallAsync("peer_list"));
        Assert.Equal(-32602, error.Code);
    }

    [Fact]
    public async Task A_body_past_the_api_limit_is_refused_before_it_is_parsed()
    {
        using var inProcess = new HttpClient(Node.Host.CreateInProcessApiHandler());
        using var content = new ByteArrayContent(new byte[SmartShare.Node.Api.JsonRpcEndpoint.MaxRequestBytes + 1]);

        using var answer = await inProcess.PostAsync(Node.Host.ApiUri, content);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, answer.StatusCode);
        var error = JsonNode.Parse(await answer.Content.ReadAsStringAsync())!["error"]!;
        Assert.Equal(-32600, error["code"]!.GetValue<int>());
    }

    [Fact]
    public async Task Any_other_request_goes_over_http_through_the_nodes_checks()
    {
        using var inProcess = new HttpClient(Node.Host.CreateInProcessApiHandler());

        // Not a call: a stream, and a call with a query (the in-process path takes the bare API address only). Both reach the node's guard, which wants the password.
        using var stream = await inProcess.GetAsync(new Uri(Node.Host.ApiUri, "/stream/" + new string('a', 96)));
        using var content = new StringContent("""{"method": "status"}""", Encoding.UTF8, "application/json");
        using var elsewhere = await inProcess.PostAsync(new Uri(Node.Host.ApiUri, "/api?via=http"), content);

        Assert.Equal(HttpStatusCode.Unauthorized, stream.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, elsewhere.StatusCode);
    }

    public Task DisposeAsync() => _node?.DisposeAsync().AsTask() ?? Task.CompletedTask;

    public void Dispose() => _directory.Dispose();
}
