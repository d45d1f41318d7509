using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using SmartShare.Node.Client;
using SmartShare.Node.Http;
using SmartShare.Node.Settings;

namespace SmartShare.Node.Tests.Http;

/// <summary>A node with an API password, over real HTTP: every way in needs a credential, and guessing is throttled.</summary>
public sealed class ApiAuthenticationTests : IAsyncLifetime, IDisposable
{
    private const string Password = "correct horse battery";
    private const string Status = """{"method": "status", "params": {}}""";

    private readonly NodeTestDirectory _directory = new();
    private TestNode? _node;

    private TestNode Node => _node!;

    public async Task InitializeAsync() => _node = await TestNode.StartWithPasswordAsync(Path.Combine(_directory.Path, "data"), Password);

    [Fact]
    public async Task Without_a_credential_every_endpoint_answers_401_and_runs_nothing()
    {
        using var rpc = Node.Request(HttpMethod.Post, "/", Status);
        using var stream = Node.Request(HttpMethod.Get, "/stream/" + new string('a', 96));

        foreach (var request in new[] { rpc, stream })
        {
            using var response = await Node.SendAsync(request);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Contains("needs its password", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            Assert.DoesNotContain("Basic", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task The_password_as_http_basic_opens_the_api()
    {
        using var request = Node.Request(HttpMethod.Post, "/", Status);
        request.Headers.Authorization = NodeApiCredentials.Basic(Password);

        using var response = await Node.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Wrong_passwords_are_throttled_per_address_and_a_locked_out_right_one_waits_too()
    {
        for (var attempt = 1; attempt <= LoginThrottle.FreeFailures; attempt++)
        {
            using var wrong = Node.Request(HttpMethod.Post, "/login", """{"password": "guess"}""");
            using var answer = await Node.SendAsync(wrong);
            Assert.Equal(HttpStatusCode.Unauthorized, answer.StatusCode);
        }

        using var right = Node.Request(HttpMethod.Post, "/login", $$"""{"password": "{{Password}}"}""");
        using var throttled = await Node.SendAsync(right);

        Assert.Equal(HttpStatusCode.TooManyRequests, throttled.StatusCode);
        Assert.True(throttled.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        using var basic = Node.Request(HttpMethod.Post, "/", Status);
        basic.Headers.Authorization = NodeApiCredentials.Basic("another guess");
        using var alsoThrottled = await Node.SendAsync(basic);
        Assert.Equal(HttpStatusCode.TooManyRequests, alsoThrottled.StatusCode);
    }

    [Fact]
    public async Task A_login_gives_an_httponly_strict_cookie_and_a_bearer_token_and_logout_ends_both()
    {
        using var login = Node.Request(HttpMethod.Post, "/login", $$"""{"password": "{{Password}}"}""");
        using var answer = await Node.SendAsync(login);
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        var cookie = answer.Headers.GetValues("Set-Cookie").Single();
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        var token = JsonNode.Parse(await answer.Content.ReadAsStringAsync())!["token"]!.GetValue<string>();
        var cookiePair = cookie.Split(';')[0];

        Assert.Equal(HttpStatusCode.OK, await StatusWithAsync(request => request.Headers.TryAddWithoutValidation("Cookie", cookiePair)));
        Assert.Equal(HttpStatusCode.OK, await StatusWithAsync(request => request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token)));

        using var logout = Node.Request(HttpMethod.Post, "/logout", "{}");
        logout.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var loggedOut = await Node.SendAsync(logout);
        Assert.Equal(HttpStatusCode.OK, loggedOut.StatusCode);

        Assert.Equal(HttpStatusCode.Unauthorized, await StatusWithAsync(request => request.Headers.TryAddWithoutValidation("Cookie", cookiePair)));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusWithAsync(request => request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token)));
    }

    [Fact]
    public async Task The_local_token_file_is_owner_only_and_is_what_the_cli_sends()
    {
        var tokenFile = Path.Combine(Node.DataDirectory, ApiAccess.TokenFileName);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(tokenFile));
        using var client = new NodeApiClient(Node.Host.ApiUri, authorization: NodeApiCredentials.For(Node.DataDirectory, Node.Host.ApiUri, _ => null));

        var status = await client.CallAsync("status");

        Assert.NotNull(status);
        using var bare = new NodeApiClient(Node.Host.ApiUri);
        var error = await Assert.ThrowsAsync<NodeApiException>(() => bare.CallAsync("status"));
        Assert.Contains("needs its password", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_local_token_goes_only_to_this_machine_and_a_password_variable_wins()
    {
        var local = NodeApiCredentials.For(Node.DataDirectory, Node.Host.ApiUri, _ => null);
        var remote = NodeApiCredentials.For(Node.DataDirectory, new Uri("http://192.0.2.50:5279"), _ => null);
        var named = NodeApiCredentials.For(Node.DataDirectory, new Uri("http://nas.example:5279"), _ => null);
        var withPassword = NodeApiCredentials.For(Node.DataDirectory, new Uri("http://192.0.2.50:5279"), name => name == NodeApiCredentials.PasswordVariable ? Password : null);

        Assert.Equal("Bearer", local?.Scheme);
        Assert.Null(remote);
        Assert.Null(named);
        Assert.Equal("Basic", withPassword?.Scheme);
    }

    [Fact]
    public async Task A_stream_url_carries_its_own_token_which_opens_that_transfer_only()
    {
        var file = Path.Combine(_directory.Path, "clip.mp4");
        await File.WriteAllBytesAsync(file, [.. Enumerable.Range(0, 5000).Select(i => (byte)i)]);
        using var client = new NodeApiClient(Node.Host.ApiUri, authorization: NodeApiCredentials.Basic(Password));
        var created = (JsonObject)(await client.CallAsync("stream_create", new JsonObject { ["file_path"] = file }))!;
        var url = created["streaming_url"]!.GetValue<string>();
        Assert.Contains("?token=", url, StringComparison.Ordinal);

        using var withToken = await Node.SendAsync(new HttpRequestMessage(HttpMethod.Get, url));
        Assert.Equal(HttpStatusCode.OK, withToken.StatusCode);
        Assert.Equal(await File.ReadAllBytesAsync(file), await withToken.Content.ReadAsByteArrayAsync());

        var token = url[(url.IndexOf("?token=", StringComparison.Ordinal) + 7)..];
        using var otherTransfer = await Node.SendAsync(Node.Request(HttpMethod.Get, $"/stream/{new string('d', 96)}?token={token}"));
        Assert.Equal(HttpStatusCode.Unauthorized, otherTransfer.StatusCode);
        using var api = Node.Request(HttpMethod.Post, $"/?token={token}", Status);
        using var apiWithStreamToken = await Node.SendAsync(api);
        Assert.Equal(HttpStatusCode.Unauthorized, apiWithStreamToken.StatusCode);
    }

    public void Dispose() => _directory.Dispose();

    public async Task DisposeAsync()
    {
        if (_node is not null)
        {
            await _node.DisposeAsync();
        }
    }

    private async Task<HttpStatusCode> StatusWithAsync(Action<HttpRequestMessage> credential)
    {
        using var request = Node.Request(HttpMethod.Post, "/", Status);
        credential(request);
        using var response = await Node.SendAsync(request);
        return response.StatusCode;
    }
}
