using System.Text.Json.Nodes;
using SmartShare.Node.Settings;

namespace SmartShare.Node.Tests.Settings;

public sealed class NodeSettingsStoreTests : IDisposable
{
    private readonly NodeTestDirectory _directory = new();

    [Fact]
    public void Defaults_apply_when_nothing_is_set()
    {
        var settings = NodeSettingsStore.Load(_directory.Path, environment: _ => null).Current;

        Assert.Equal(4444, settings.Port);
        Assert.Equal("0.0.0.0", settings.BindAddress);
        Assert.Equal(NodeInfo.DefaultApiUrl, settings.Api);
        Assert.Equal(DefaultPaths.DownloadDirectory(), settings.DownloadDirectory);
        Assert.Empty(settings.Bootstrap);
        Assert.False(settings.AllowLan);
        Assert.Equal(8, settings.MaxConnectionsPerDownload);
        Assert.True(settings.Announce);
    }

    [Fact]
    public void File_beats_defaults_environment_beats_file_and_flags_beat_environment()
    {
        File.WriteAllText(_directory.File("settings.json"), """{"port": 1000, "bind": "127.0.0.1", "max_connections_per_download": 3, "bootstrap": ["a.example:4444"]}""");
        var environment = new Dictionary<string, string>
        {
            ["SMARTSHARE_PORT"] = "2000",
            ["SMARTSHARE_BIND"] = "127.0.0.2",
            ["SMARTSHARE_ALLOW_LAN"] = "yes",
            ["SMARTSHARE_BOOTSTRAP"] = "b.example:1, c.example:2",
        };
        var flags = new Dictionary<string, JsonNode?> { ["port"] = 3000 };

        var store = NodeSettingsStore.Load(_directory.Path, flags, name => environment.GetValueOrDefault(name));
        var settings = store.Current;

        Assert.Equal(3000, settings.Port);
        Assert.Equal("127.0.0.2", settings.BindAddress);
        Assert.Equal(3, settings.MaxConnectionsPerDownload);
        Assert.True(settings.AllowLan);
        Assert.Equal(["b.example:1", "c.example:2"], settings.Bootstrap);
        Assert.Equal("the command line", store.SourceOf("port"));
        Assert.Equal("the environment variable SMARTSHARE_BIND", store.SourceOf("bind"));
        Assert.Equal(_directory.File("settings.json"), store.SourceOf("max_connections_per_download"));
        Assert.Equal("default", store.SourceOf("announce"));
    }

    [Fact]
    public void A_bad_port_in_the_file_names_the_file_and_the_key()
    {
        File.WriteAllText(_directory.File("settings.json"), """{"port": 70000}""");

        var error = Assert.Throws<NodeSettingsException>(() => NodeSettingsStore.Load(_directory.Path, environment: _ => null));

        Assert.Equal($"{_directory.File("settings.json")}: port must be a whole number from 0 to 65535, not 70000.", error.Message);
    }

    [Theory]
    [InlineData("SMARTSHARE_ANNOUNCE", "maybe", "announce must be true or false")]
    [InlineData("SMARTSHARE_PORT", "http", "port must be a whole number")]
    [InlineData("SMARTSHARE_API", "http://example.com:5279", "api must name an IP address")]
    [InlineData("SMARTSHARE_BIND", "everywhere", "bind must be an IP address")]
    [InlineData("SMARTSHARE_BOOTSTRAP", "nohost", "bootstrap must hold reachable HOST:PORT endpoints")]
    public void A_bad_environment_variable_names_the_variable_and_the_key(string variable, string value, string expected)
    {
        var error = Assert.Throws<NodeSettingsException>(
            () => NodeSettingsStore.Load(_directory.Path, environment: name => name == variable ? value : null));

        Assert.StartsWith($"the environment variable {variable}: {expected}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_that_is_not_json_says_so_and_what_to_do()
    {
        File.WriteAllText(_directory.File("settings.json"), "{port: ");

        var error = Assert.Throws<NodeSettingsException>(() => NodeSettingsStore.Load(_directory.Path, environment: _ => null));

        Assert.Contains("is not valid JSON", error.Message, StringComparison.Ordinal);
        Assert.Contains("fix or delete it", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_key_in_the_file_lists_the_known_ones()
    {
        File.WriteAllText(_directory.File("settings.json"), """{"prot": 1}""");

        var error = Assert.Throws<NodeSettingsException>(() => NodeSettingsStore.Load(_directory.Path, environment: _ => null));

        Assert.Contains("'prot' is not a setting", error.Message, StringComparison.Ordinal);
        Assert.Contains("port", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Set_writes_the_file_leaves_no_temporary_file_and_survives_a_reload()
    {
        var store = NodeSettingsStore.Load(_directory.Path, environment: _ => null);

        var change = store.Set("port", 5555);

        Assert.True(change.RequiresRestart);
        Assert.Null(change.OverriddenBy);
        Assert.Equal(4444, store.Current.Port);
        Assert.False(File.Exists(_directory.File("settings.json.tmp")));
        Assert.Equal(5555, NodeSettingsStore.Load(_directory.Path, environment: _ => null).Current.Port);
    }

    [Fact]
    public void Set_of_a_live_setting_takes_effect_at_once_and_keeps_other_keys_in_the_file()
    {
        File.WriteAllText(_directory.File("settings.json"), """{"port": 1234}""");
        var store = NodeSettingsStore.Load(_directory.Path, environment: _ => null);

        var change = store.Set("max_connections_per_download", 4);

        Assert.False(change.RequiresRestart);
        Assert.Equal(4, store.Current.MaxConnectionsPerDownload);
        var reloaded = NodeSettingsStore.Load(_directory.Path, environment: _ => null).Current;
        Assert.Equal(1234, reloaded.Port);
        Assert.Equal(4, reloaded.MaxConnectionsPerDownload);
    }

    [Fact]
    public void Set_says_when_an_environment_variable_will_still_win()
    {
        var store = NodeSettingsStore.Load(_directory.Path, environment: name => name == "SMARTSHARE_PORT" ? "2000" : null);

        var change = store.Set("port", 3000);

        Assert.Equal("the environment variable SMARTSHARE_PORT", change.OverriddenBy);
    }

    [Fact]
    public void Set_refuses_a_bad_value_and_leaves_the_file_alone()
    {
        var store = NodeSettingsStore.Load(_directory.Path, environment: _ => null);

        var error = Assert.Throws<NodeSettingsException>(() => store.Set("allow_lan", "sure"));

        Assert.Contains("allow_lan must be true or false", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(_directory.File("settings.json")));
    }

    public void Dispose() => _directory.Dispose();
}
