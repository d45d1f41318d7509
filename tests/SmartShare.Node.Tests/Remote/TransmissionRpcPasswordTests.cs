using System.Net;
using System.Text.Json.Nodes;
using SmartShare.Node.Client;
using SmartShare.Node.Http;
using SmartShare.Node.Settings;

namespace SmartShare.Node.Tests.Remote;

/// <summary>With an API password the Transmission RPC needs it too, as HTTP Basic the way transmission-remote -n sends it.</summary>
public sealed class TransmissionRpcPasswordTests : IAsyncLifetime, IDisposable
{
    private const string Password = "correct horse battery";

    private readonly NodeTestDirectory _directory = new();
    private TestNode? _node;

    private TestNode Node => _node!;

    public async Task InitializeAsync() => _node = await TestNode.StartWithPasswordAsync(Path.Combine(_directory.Path, "data"), Password);

    [Fact]
    public async Task Without_the_password_it_is_401_before_the_handshake_and_with_basic_auth_any_user_name_passes()
    {
        var anonymous = new TransmissionTestClient(Node.Host.ApiUri);
        var wrong = new TransmissionTestClient(Node.Host.ApiUri, NodeApiCredentials.Basic("guess"));
        var named = new TransmissionTestClient(
            Node.Host.ApiUri,
            new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("admin:" + Password))));

        var refused = await anonymous.PostRawAsync("""{"method": "session-get"}""", sessionId: null);
        var refusedWrong = await wrong.PostRawAsync("""{"method": "session-get"}""", sessionId: null);

        Assert.Equal(HttpStatusCode.Unauthorized, refused.Status);
        Assert.Null(refused.SessionHeader);
        Assert.Contains("Basic", refused.Challenge, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, refusedWrong.Status);
        Assert.Equal("success", (await named.CallAsync("session-get"))["result"]!.GetValue<string>());
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
