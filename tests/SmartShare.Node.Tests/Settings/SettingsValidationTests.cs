using System.Text.Json.Nodes;
using SmartShare.Node.Client;
using SmartShare.Node.Http;
using SmartShare.Node.Settings;

namespace SmartShare.Node.Tests.Settings;

/// <summary>
/// settings_set on a real node checks addresses and paths by the same rules as the .smartshare reader: each
/// refusal is a sentence naming the key, and the file is left as it was.
/// </summary>
public sealed class SettingsValidationTests : IAsyncLifetime, IDisposable
{
    private readonly NodeTestDirectory _directory = new();
    private TestNode? _node;

    private TestNode Node => _node!;

    public async Task InitializeAsync() => _node = await TestNode.StartAsync(_directory.Path);

    [Theory]
    [InlineData("bind", "255.255.255.255", "broadcast")]
    [InlineData("bind", "224.0.0.251", "multicast")]
    [InlineData("bind", "ff02::1", "multicast")]
    [InlineData("bind", "fe80::1%2", "IP address")]
    [InlineData("bind", "everywhere", "IP address")]
    [InlineData("download_dir", "/tmp/with\u0000nul", "control characters")]
    [InlineData("download_dir", "/tmp/line\nbreak", "control characters")]
    [InlineData("download_dir", "/proc/self", "/proc")]
    [InlineData("download_dir", "/dev/shm/x", "/dev")]
    [InlineData("api", "http://evil.example:5279", "IP address")]
    [InlineData("api", "http://224.0.0.1:5279", "multicast")]
    [InlineData("api_password_hash", "my plain password", "never the password itself")]
    public async Task A_bad_address_or_path_is_refused_with_a_sentence(string key, string value, string expected)
    {
        await AssertRefusedAsync(key, JsonValue.Create(value), expected);
    }

    [Theory]
    [InlineData("bootstrap", "0.0.0.0:4444", "unspecified")]
    [InlineData("bootstrap", "255.255.255.255:4444", "broadcast")]
    [InlineData("bootstrap", "239.1.2.3:4444", "multicast")]
    [InlineData("bootstrap", "[::]:4444", "unspecified")]
    [InlineData("bootstrap", "[ff05::2]:4444", "multicast")]
    [InlineData("bootstrap", "127.1:4444", "four numbers")]
    [InlineData("bootstrap", "node.example:0", "port")]
    [InlineData("bt_bootstrap", "0.0.0.0:6881", "unspecified")]
    [InlineData("bt_bootstrap", "224.0.0.1:6881", "multicast")]
    [InlineData("api_hosts", "bad host!", "host names")]
    public async Task A_bad_list_entry_is_refused_with_a_sentence(string key, string entry, string expected)
    {
        await AssertRefusedAsync(key, new JsonArray(entry), expected);
    }

    [Fact]
    public async Task A_file_as_download_dir_is_refused()
    {
        var file = _directory.File("not-a-folder");
        await File.WriteAllTextAsync(file, "x");

        await AssertRefusedAsync("download_dir", JsonValue.Create(file), "is a file");
    }

    [Fact]
    public async Task Good_values_are_kept_in_their_normal_form()
    {
        var change = (JsonObject)(await Node.CallAsync("settings_set", new JsonObject { ["key"] = "bootstrap", ["value"] = new JsonArray("node.example:4444", "[2001:db8::1]:4444", "192.0.2.1:4444") }))!;

        Assert.Equal("""["node.example:4444","[2001:db8::1]:4444","192.0.2.1:4444"]""", change["value"]!.ToJsonString());
    }

    [Fact]
    public async Task The_api_cannot_be_moved_beyond_loopback_without_a_password_nor_the_password_cleared_there()
    {
        await AssertRefusedAsync("api", JsonValue.Create("http://0.0.0.0:5279"), "needs a password");

        await Node.CallAsync("settings_set", new JsonObject { ["key"] = "api_password_hash", ["value"] = ApiPassword.Hash("long enough pass", 100_000) });
        var moved = (JsonObject)(await Node.CallAsync("settings_set", new JsonObject { ["key"] = "api", ["value"] = "http://0.0.0.0:5279" }))!;
        Assert.True(moved["restart_required"]!.GetValue<bool>());

        var reloaded = NodeSettingsStore.Load(_directory.Path, environment: _ => null);
        Assert.Throws<NodeSettingsException>(() => reloaded.Set(NodeSettingKeys.ApiPasswordHash, JsonValue.Create(string.Empty)));
        Assert.Equal("(set)", (await Node.CallAsync("settings_get"))!["api_password_hash"]!.GetValue<string>());
    }

    public void Dispose() => _directory.Dispose();

    public async Task DisposeAsync()
    {
        if (_node is not null)
        {
            await _node.DisposeAsync();
        }
    }

    private async Task AssertRefusedAsync(string key, JsonNode value, string expected)
    {
        var before = File.Exists(_directory.File("settings.json")) ? await File.ReadAllTextAsync(_directory.File("settings.json")) : null;

        var error = await Assert.ThrowsAsync<NodeApiException>(
            () => Node.CallAsync("settings_set", new JsonObject { ["key"] = key, ["value"] = value }));

        Assert.Equal(-32602, error.Code);
        Assert.Contains(key, error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        var after = File.Exists(_directory.File("settings.json")) ? await File.ReadAllTextAsync(_directory.File("settings.json")) : null;
        Assert.Equal(before, after);
    }
}
