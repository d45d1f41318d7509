using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using SmartShare.Node.Remote;

namespace SmartShare.Node.Tests.Remote;

/// <summary>
/// A Transmission RPC client the way transmission-remote 3.00 behaves: POSTs JSON declared as
/// application/x-www-form-urlencoded to <c>/transmission/rpc/</c>, and on 409 takes the session id from the
/// header and repeats the request.
/// </summary>
internal sealed class TransmissionTestClient(Uri api, AuthenticationHeaderValue? authorization = null)
{
    public const string RpcPath = "/transmission/rpc/";

    private static readonly HttpClient Http = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(60) };
    private int _tag;

    public string? SessionId { get; private set; }

    /// <summary>One POST of <paramref name="body"/> as it is, with the session id given (none when null).</summary>
    public async Task<(HttpStatusCode Status, string? SessionHeader, string Body, string Challenge)> PostRawAsync(
        string body, string? sessionId, Action<HttpRequestMessage>? configure = null, string path = RpcPath)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(api, path))
        {
            Content = new StringContent(body, Encoding.UTF8),
        };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/x-www-form-urlencoded");
        if (sessionId is not null)
        {
            request.Headers.TryAddWithoutValidation(TransmissionRpc.SessionIdHeader, sessionId);
        }

        request.Headers.Authorization = authorization;
        configure?.Invoke(request);
        using var response = await Http.SendAsync(request);
        var header = response.Headers.TryGetValues(TransmissionRpc.SessionIdHeader, out var values) ? values.Single() : null;
        return (response.StatusCode, header, await response.Content.ReadAsStringAsync(), response.Headers.WwwAuthenticate.ToString());
    }

    /// <summary>A call with the 409 handshake done when needed; returns the whole answer.</summary>
    public async Task<JsonObject> CallAsync(string method, JsonObject? arguments = null)
    {
        var tag = Interlocked.Increment(ref _tag);
        var body = new JsonObject { ["method"] = method, ["arguments"] = arguments ?? [], ["tag"] = tag }.ToJsonString();
        var (status, header, text, _) = await PostRawAsync(body, SessionId);
        if (status == HttpStatusCode.Conflict)
        {
            Assert.NotNull(header);
            SessionId = header;
            (status, _, text, _) = await PostRawAsync(body, SessionId);
        }

        Assert.True(status == HttpStatusCode.OK, $"{method} answered {(int)status}: {text}");
        var answer = (JsonObject)JsonNode.Parse(text)!;
        Assert.Equal(tag, answer["tag"]!.GetValue<int>());
        return answer;
    }

    /// <summary>A call that must succeed; returns its arguments.</summary>
    public async Task<JsonObject> SucceedAsync(string method, JsonObject? arguments = null)
    {
        var answer = await CallAsync(method, arguments);
        Assert.True(answer["result"]!.GetValue<string>() == "success", $"{method} failed: {answer.ToJsonString()}");
        return answer["arguments"]!.AsObject();
    }

    /// <summary>A call that must fail; returns the sentence in result.</summary>
    public async Task<string> FailAsync(string method, JsonObject? arguments = null)
    {
        var answer = await CallAsync(method, arguments);
        var result = answer["result"]!.GetValue<string>();
        Assert.NotEqual("success", result);
        return result;
    }

    /// <summary>torrent-get of some fields; the torrents as objects.</summary>
    public async Task<List<JsonObject>> TorrentsAsync(JsonNode? ids, params string[] fields)
    {
        var arguments = new JsonObject { ["fields"] = new JsonArray([.. fields.Select(field => (JsonNode?)field)]) };
        if (ids is not null)
        {
            arguments["ids"] = ids;
        }

        return [.. (await SucceedAsync("torrent-get", arguments))["torrents"]!.AsArray().Select(torrent => torrent!.AsObject())];
    }

    /// <summary>Waits until the one torrent <paramref name="id"/> names meets a condition (polling, 60 s at most).</summary>
    public async Task<JsonObject> WaitForAsync(int id, Func<JsonObject, bool> condition, string what, params string[] fields)
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        JsonObject? last = null;
        while (true)
        {
            last = (await TorrentsAsync(id, [.. fields, "status", "error", "errorString"])).Single();
            if (condition(last))
            {
                return last;
            }

            try
            {
                await Task.Delay(50, limit.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"Timed out waiting until {what}; last: {last.ToJsonString()}");
            }
        }
    }
}
