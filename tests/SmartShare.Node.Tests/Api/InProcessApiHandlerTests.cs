using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
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

    [Fact]
    public async Task A_cancelled_call_returns_at_once_and_the_nodes_stop_waits_for_its_clean_up()
    {
        var slow = new SlowMethod();
        await using var node = await TestNode.StartAsync(
            Path.Combine(_directory.Path, "slow"),
            host => host.ConfigureServices(services => services.AddSingleton<SmartShare.Node.Api.IRpcMethodProvider>(slow)));
        using var client = new NodeApiClient(node.Host.ApiUri, node.Host.CreateInProcessApiHandler());
        using var cancel = new CancellationTokenSource();
        var call = client.CallAsync("test_slow", cancellationToken: cancel.Token);
        await slow.Started.Task.WaitAsync(Patience);

        // Ctrl-C: the caller is answered at once, while the method's clean-up is still held.
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call.WaitAsync(Patience));
        await slow.Cancelled.Task.WaitAsync(Patience);
        Assert.False(slow.CleanedUp);

        // The node's stop waits for it, as Kestrel waits for a request.
        var stop = node.Host.StopAsync();
        await Task.WhenAny(stop, Task.Delay(TimeSpan.FromMilliseconds(500)));
        Assert.False(stop.IsCompleted, "the stop ended before the call's clean-up");
        slow.Release.SetResult();
        await stop.WaitAsync(Patience);
        Assert.True(slow.CleanedUp);
    }

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    public Task DisposeAsync() => _node?.DisposeAsync().AsTask() ?? Task.CompletedTask;

    public void Dispose() => _directory.Dispose();

    // A method that runs until cancelled, then holds its clean-up until the test releases it.
    private sealed class SlowMethod : SmartShare.Node.Api.IRpcMethodProvider
    {
        public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Cancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool CleanedUp => Volatile.Read(ref _cleanedUp);

        private bool _cleanedUp;

        public void Register(SmartShare.Node.Api.JsonRpcMethods methods) =>
            methods.Add("test_slow", "Runs until cancelled.", async (SmartShare.Node.Api.RpcParams _, CancellationToken token) =>
            {
                Started.TrySetResult();
                try
                {
                    await Task.Delay(Timeout.Infinite, token);
                }
                catch (OperationCanceledException)
                {
                    Cancelled.TrySetResult();
                    await Release.Task;
                    Volatile.Write(ref _cleanedUp, true);
                    throw;
                }

                return null;
            });
    }
}
