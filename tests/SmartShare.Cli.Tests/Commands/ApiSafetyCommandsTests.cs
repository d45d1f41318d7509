using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using SmartShare.Cli.Tests.Support;

namespace SmartShare.Cli.Tests.Commands;

/// <summary>
/// The API's protection as a user meets it, with real node processes: the password set from the command line
/// (only its hash stored), the CLI on the node's machine let in by the local token, another machine by the
/// password, a node beyond loopback refused without one. The remote machine is a network namespace of the test's
/// own, whose address exists only inside it.
/// </summary>
public sealed class ApiSafetyCommandsTests : IDisposable
{
    private const string Password = "a long enough password";

    private static readonly HttpClient Http = new(new SocketsHttpHandler { UseProxy = false });

    private readonly CliWorkspace _workspace = new();

    [Fact]
    public async Task Start_beyond_loopback_without_a_password_exits_2_with_what_to_do()
    {
        var result = await _workspace.RunAsync("start", "--port", "0", "--api", $"http://0.0.0.0:{CliWorkspace.UnusedPort()}", "--json");

        var message = result.ShouldFailWith(2, "bad_input");
        Assert.Contains("with no password", message, StringComparison.Ordinal);
        Assert.Contains("smartshare password set", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Password_set_without_a_node_stores_only_a_salted_hash()
    {
        var result = await SmartShareProcess.RunAsync(
            ["password", "set", "--json", "--data-dir", _workspace.DataDirectory], _workspace.Root, _workspace.Environment, standardInput: Password + "\n");

        result.ShouldSucceedWithJson();
        var settings = await File.ReadAllTextAsync(Path.Combine(_workspace.DataDirectory, "settings.json"));
        Assert.Contains("pbkdf2-sha256$", settings, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, settings, StringComparison.Ordinal);

        var tooShort = await SmartShareProcess.RunAsync(
            ["password", "set", "--json", "--data-dir", _workspace.DataDirectory], _workspace.Root, _workspace.Environment, standardInput: "short\n");
        Assert.Contains("at least 8 characters", tooShort.ShouldFailWith(2, "bad_input"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_password_set_on_a_running_node_takes_effect_at_once_and_the_local_cli_keeps_working()
    {
        await using var node = BackgroundSmartShare.Start(
            ["start", "--port", "0", "--bind", "127.0.0.1", "--api", "http://127.0.0.1:0", "--data-dir", _workspace.DataDirectory],
            _workspace.Root,
            _workspace.Environment);
        var api = (await node.WaitForLineAsync(@"API on (http://127\.0\.0\.1:\d+)")).Groups[1].Value;
        Assert.Equal(HttpStatusCode.OK, await PostStatusAsync(api, null));

        var set = await SmartShareProcess.RunAsync(
            ["password", "set", "--api", api, "--json", "--data-dir", _workspace.DataDirectory], _workspace.Root, _workspace.Environment, standardInput: Password + "\n");
        set.ShouldSucceedWithJson();

        Assert.Equal(HttpStatusCode.Unauthorized, await PostStatusAsync(api, null));
        Assert.Equal(HttpStatusCode.OK, await PostStatusAsync(api, Basic(Password)));
        (await _workspace.RunAsync("status", "--api", api, "--json")).ShouldSucceedWithJson();
        (await _workspace.RunAsync("list", "--api", api, "--json")).ShouldSucceedWithJson();

        // Another data directory has no local token: it needs the password.
        var elsewhere = Path.Combine(_workspace.Root, "elsewhere");
        var refused = await _workspace.RunWithoutDataDirAsync(["status", "--api", api, "--json", "--data-dir", elsewhere]);
        Assert.Contains("needs its password", refused.ShouldFailWith(1, "api"), StringComparison.Ordinal);

        (await _workspace.RunAsync("stop", "--api", api, "--json")).ShouldSucceedWithJson();
        await node.WaitForExitAsync();
        Assert.False(File.Exists(Path.Combine(_workspace.DataDirectory, "api-token")));
    }

    [Fact]
    public async Task A_node_beyond_loopback_answers_another_machine_only_with_the_password()
    {
        await using var remote = await NetworkNamespace.CreateAsync("10.213.0.1");
        var setup = await SmartShareProcess.RunAsync(
            ["password", "set", "--json", "--data-dir", _workspace.DataDirectory], _workspace.Root, _workspace.Environment, standardInput: Password + "\n");
        setup.ShouldSucceedWithJson();
        const string Api = "http://10.213.0.1:5279";
        await using var node = BackgroundSmartShare.Start(
            ["start", "--port", "0", "--bind", "10.213.0.1", "--api", Api, "--data-dir", _workspace.DataDirectory],
            _workspace.Root,
            _workspace.Environment,
            remote.Launcher);
        await node.WaitForLineAsync(@"API on http://10\.213\.0\.1:5279");
        var otherMachine = Path.Combine(_workspace.Root, "other-machine");

        var none = await RemoteStatusAsync(remote, otherMachine, Api, null);
        var wrong = await RemoteStatusAsync(remote, otherMachine, Api, "not the password");
        var right = await RemoteStatusAsync(remote, otherMachine, Api, Password);
        var local = await SmartShareProcess.RunAsync(["status", "--api", Api, "--json", "--data-dir", _workspace.DataDirectory], _workspace.Root, _workspace.Environment, launcher: remote.Launcher);

        Assert.Contains("needs its password", none.ShouldFailWith(1, "api"), StringComparison.Ordinal);
        Assert.Contains("password is wrong", wrong.ShouldFailWith(1, "api"), StringComparison.Ordinal);
        right.ShouldSucceedWithJson();
        local.ShouldSucceedWithJson();
        (await SmartShareProcess.RunAsync(["stop", "--api", Api, "--json", "--data-dir", _workspace.DataDirectory], _workspace.Root, _workspace.Environment, launcher: remote.Launcher)).ShouldSucceedWithJson();
        await node.WaitForExitAsync();
    }

    public void Dispose() => _workspace.Dispose();

    private Task<CliResult> RemoteStatusAsync(NetworkNamespace remote, string dataDirectory, string api, string? password) =>
        SmartShareProcess.RunAsync(
            ["status", "--api", api, "--json", "--data-dir", dataDirectory],
            _workspace.Root,
            new Dictionary<string, string?>(_workspace.Environment) { ["SMARTSHARE_API_PASSWORD"] = password },
            launcher: remote.Launcher);

    private static AuthenticationHeaderValue Basic(string password) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(":" + password)));

    private static async Task<HttpStatusCode> PostStatusAsync(string api, AuthenticationHeaderValue? authorization)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, api)
        {
            Content = new StringContent("""{"method": "status", "params": {}}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = authorization;
        using var response = await Http.SendAsync(request);
        return response.StatusCode;
    }

    /// <summary>A network namespace with its loopback up and one more address on it, which exists nowhere else.</summary>
    private sealed class NetworkNamespace : IAsyncDisposable
    {
        private NetworkNamespace(string name) => Name = name;

        public string Name { get; }

        public IReadOnlyList<string> Launcher => ["ip", "netns", "exec", Name];

        public static async Task<NetworkNamespace> CreateAsync(string address)
        {
            var space = new NetworkNamespace("smartshare-api-" + Guid.NewGuid().ToString("N")[..8]);
            await RunAsync("ip", "netns", "add", space.Name);
            await RunAsync("ip", "-n", space.Name, "link", "set", "lo", "up");
            await RunAsync("ip", "-n", space.Name, "addr", "add", address + "/32", "dev", "lo");
            return space;
        }

        public async ValueTask DisposeAsync() => await RunAsync("ip", "netns", "del", Name);

        private static async Task RunAsync(params string[] command)
        {
            var startInfo = new ProcessStartInfo(command[0]) { RedirectStandardError = true, UseShellExecute = false };
            foreach (var argument in command[1..])
            {
                startInfo.ArgumentList.Add(argument);
            }

            using var process = Process.Start(startInfo)!;
            var error = await process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            Assert.True(process.ExitCode == 0, $"`{string.Join(' ', command)}` failed (the test needs root for network namespaces): {error}");
        }
    }
}
