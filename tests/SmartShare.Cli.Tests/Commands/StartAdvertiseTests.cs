using System.Text.Json;
using SmartShare.Cli.Tests.Support;

namespace SmartShare.Cli.Tests.Commands;

/// <summary><c>start --advertise HOST[:PORT]</c> (repeatable): the running node names these in every share; a bad one is refused before start.</summary>
public sealed class StartAdvertiseTests : IDisposable
{
    private readonly CliWorkspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public async Task Start_with_advertise_makes_every_share_name_those_addresses_and_status_shows_the_external_address_section()
    {
        await using var node = BackgroundSmartShare.Start(
            ["start", "--port", "0", "--bt-port", "0", "--bind", "127.0.0.1", "--allow-lan", "--no-bt-dht",
             "--advertise", "11.77.0.2:5000", "--advertise", "home.example.org",
             "--api", "http://127.0.0.1:0", "--json", "--data-dir", _workspace.DataDirectory],
            _workspace.Root,
            _workspace.Environment);
        var started = await node.WaitForLineAsync(@"API on (http://127\.0\.0\.1:\d+), LBRY DHT listening on UDP 127\.0\.0\.1:(\d+)");
        var api = started.Groups[1].Value;
        var port = started.Groups[2].Value;

        var source = _workspace.CreateRandomFile("clip.bin", 50_000);
        var shared = (await _workspace.RunAsync("share", source, "--torrent", "--api", api, "--json")).ShouldSucceedWithJson();

        var contacts = JsonDocument.Parse(await File.ReadAllTextAsync(shared.GetProperty("smartshare").GetString()!)).RootElement.GetProperty("contacts")
            .EnumerateArray().Select(contact => contact.GetProperty("blob").GetString()).ToList();
        Assert.Equal(["11.77.0.2:5000", $"home.example.org:{port}"], contacts);
        Assert.Contains("x.pe=11.77.0.2:5000", shared.GetProperty("magnet").GetString(), StringComparison.Ordinal);

        var status = (await _workspace.RunAsync("status", "--api", api, "--json")).ShouldSucceedWithJson();
        Assert.Equal(JsonValueKind.Null, status.GetProperty("external_address").GetProperty("address").ValueKind);
        var human = await _workspace.RunAsync("status", "--api", api);
        Assert.Contains("External:   not known yet", human.StandardOutput, StringComparison.Ordinal);

        Assert.Equal(0, (await node.StopAsync("INT")).ExitCode);
    }

    [Theory]
    [InlineData("224.0.0.1", "multicast")]
    [InlineData("host:0", "port")]
    [InlineData("", "has no host")]
    public async Task A_bad_advertise_is_refused_with_a_sentence_before_start(string advertise, string expected)
    {
        var result = await _workspace.RunAsync("start", "--port", "0", "--bt-port", "0", "--bind", "127.0.0.1", "--api", "http://127.0.0.1:0", "--advertise", advertise, "--json");

        var message = result.ShouldFailWith(2, "bad_input");
        Assert.Contains("advertise", message, StringComparison.Ordinal);
        Assert.Contains(expected, message, StringComparison.Ordinal);
    }
}
