using System.Globalization;
using System.Text.Json;
using SmartShare.Cli.Tests.Support;

namespace SmartShare.Cli.Tests.Commands;

/// <summary>
/// .smartshare files end to end with node processes on 127.0.0.1: a receiver with no bootstrap at all gets the
/// file from the .smartshare file (or the link) alone, and a private share stays out of the DHT.
/// </summary>
public sealed class SmartShareFileCommandsTests : IDisposable
{
    private readonly CliWorkspace _creator = new();
    private readonly CliWorkspace _receiver = new();
    private readonly CliWorkspace _other = new();
    private readonly CliWorkspace _bootstrap = new();

    public void Dispose()
    {
        _creator.Dispose();
        _receiver.Dispose();
        _other.Dispose();
        _bootstrap.Dispose();
    }

    [Fact]
    public async Task A_receiver_with_no_bootstrap_gets_the_file_from_the_smartshare_file_and_another_from_the_link()
    {
        await using var creator = StartNode(_creator, "--allow-lan");
        var (creatorApi, _) = await AddressesAsync(creator);
        var source = _creator.CreateRandomFile("holiday.mp4", 5_000_000);
        var sharePath = Path.Combine(_creator.Root, "holiday.smartshare");
        var shared = (await _creator.RunAsync("share", source, "--api", creatorApi, "--advertise", "127.0.0.1", "--out", sharePath, "--json")).ShouldSucceedWithJson();
        Assert.Equal(sharePath, shared.GetProperty("smartshare").GetString());
        var link = shared.GetProperty("link").GetString()!;
        Assert.StartsWith("smartshare:", link, StringComparison.Ordinal);

        // A node with no bootstrap and no --allow-lan: the file's contacts are all it has.
        await using var receiver = StartNode(_receiver);
        var (receiverApi, _) = await AddressesAsync(receiver);
        var got = (await _receiver.RunAsync("get", sharePath, "--api", receiverApi, "--download-dir", _receiver.DownloadDirectory, "--json")).ShouldSucceedWithJson();
        Assert.Equal(CliWorkspace.Sha256Of(source), CliWorkspace.Sha256Of(got.GetProperty("path").GetString()!));

        // No node at all: get runs one in-process and reaches the creator through the link.
        var fromLink = (await _other.RunAsync("get", link, "--download-dir", _other.DownloadDirectory, "--json")).ShouldSucceedWithJson();
        Assert.Equal(CliWorkspace.Sha256Of(source), CliWorkspace.Sha256Of(fromLink.GetProperty("path").GetString()!));
    }

    [Fact]
    public async Task A_private_share_is_not_findable_in_the_DHT_while_the_holder_of_its_file_still_gets_it()
    {
        await using var bootstrap = StartNode(_bootstrap, "--allow-lan");
        var (_, bootstrapPort) = await AddressesAsync(bootstrap);
        await using var creator = StartNode(_creator, "--allow-lan", "--bootstrap", $"127.0.0.1:{bootstrapPort}");
        var (creatorApi, _) = await AddressesAsync(creator);
        await creator.WaitForLineAsync("Joined the DHT");

        // A public share as the control: it must be findable, or the private check below proves nothing.
        var publicSource = _creator.CreateRandomFile("public.bin", 300_000);
        var publicHash = (await _creator.RunAsync("share", publicSource, "--api", creatorApi, "--advertise", "127.0.0.1", "--json"))
            .ShouldSucceedWithJson().GetProperty("sd_hash").GetString()!;
        await creator.WaitForLineAsync($"Announced {publicHash} .* to [1-9]");
        var privateSource = _creator.CreateRandomFile("secret.bin", 3_000_000);
        var sharePath = Path.Combine(_creator.Root, "secret.smartshare");
        var privateHash = (await _creator.RunAsync("share", privateSource, "--api", creatorApi, "--advertise", "127.0.0.1", "--private", "--out", sharePath, "--json"))
            .ShouldSucceedWithJson().GetProperty("sd_hash").GetString()!;

        await using var receiver = StartNode(_receiver, "--allow-lan", "--bootstrap", $"127.0.0.1:{bootstrapPort}");
        var (receiverApi, _) = await AddressesAsync(receiver);
        var got = (await _receiver.RunAsync("get", sharePath, "--api", receiverApi, "--download-dir", _receiver.DownloadDirectory, "--json")).ShouldSucceedWithJson();
        Assert.Equal(CliWorkspace.Sha256Of(privateSource), CliWorkspace.Sha256Of(got.GetProperty("path").GetString()!));

        var publicPeers = Peers(await _other.RunAsync("peers", publicHash, "--bootstrap", $"127.0.0.1:{bootstrapPort}", "--allow-lan", "--json"));
        var privatePeers = Peers(await _other.RunAsync("peers", privateHash, "--bootstrap", $"127.0.0.1:{bootstrapPort}", "--allow-lan", "--json"));
        Assert.NotEmpty(publicPeers);
        Assert.Empty(privatePeers);
        Assert.DoesNotContain(creator.ErrorLines, line => line.Contains($"Announced {privateHash}", StringComparison.Ordinal));
        Assert.DoesNotContain(receiver.ErrorLines, line => line.Contains($"Announced {privateHash}", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_altered_smartshare_file_is_bad_input_with_a_sentence_and_nothing_is_written()
    {
        var source = _creator.CreateRandomFile("notes.txt", 40_000);
        var sharePath = Path.Combine(_creator.Root, "notes.smartshare");
        (await _creator.RunAsync("share", source, "--advertise", "127.0.0.1", "--out", sharePath, "--json")).ShouldSucceedWithJson();
        var json = System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(sharePath))!;
        var sdBlob = Convert.FromBase64String(json["lbry"]!["sd_blob"]!.GetValue<string>());
        sdBlob[^2] ^= 1;
        json["lbry"]!["sd_blob"] = Convert.ToBase64String(sdBlob);
        var altered = Path.Combine(_receiver.Root, "altered.smartshare");
        await File.WriteAllTextAsync(altered, json.ToJsonString());

        var result = await _receiver.RunAsync("get", altered, "--download-dir", _receiver.DownloadDirectory, "--json");

        var message = result.ShouldFailWith(2, "bad_input");
        Assert.Contains("embedded sd blob", message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_receiver.DownloadDirectory) && Directory.EnumerateFileSystemEntries(_receiver.DownloadDirectory).Any());
    }

    private static List<JsonElement> Peers(CliResult result) =>
        [.. result.ShouldSucceedWithJson().GetProperty("peers").EnumerateArray()];

    private static BackgroundSmartShare StartNode(CliWorkspace workspace, params string[] extra) =>
        BackgroundSmartShare.Start(
            [
                "start", "--port", "0", "--bind", "127.0.0.1", "--api", "http://127.0.0.1:0",
                "--download-dir", workspace.DownloadDirectory, "--data-dir", workspace.DataDirectory, .. extra,
            ],
            workspace.Root,
            workspace.Environment);

    private static async Task<(string Api, int Port)> AddressesAsync(BackgroundSmartShare node)
    {
        var started = await node.WaitForLineAsync(@"API on (http://127\.0\.0\.1:\d+), LBRY DHT listening on UDP 127\.0\.0\.1:(\d+)");
        return (started.Groups[1].Value, int.Parse(started.Groups[2].Value, CultureInfo.InvariantCulture));
    }
}
