using System.Text.Json.Nodes;
using SmartShare.Node.Hosting;
using SmartShare.Node.Settings;

namespace SmartShare.Node.Tests.Hosting;

/// <summary>
/// A daemon node answers one status call of its own over a real socket before it says it is up, so a user's first
/// request does not run that code for the first time; the call changes nothing, and a node whose API needs a password
/// still starts (its warm-up is answered 401). The prewarm the CLI runs beside a node's start (on throwaway objects)
/// does not get in that start's way.
/// </summary>
public sealed class WarmUpTests : IDisposable
{
    private readonly NodeTestDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task A_node_started_with_the_warm_up_has_answered_its_own_status_call_and_holds_nothing_new()
    {
        await using var node = await TestNode.StartAsync(_directory.Path, warmUp: true);

        Assert.Equal(200, node.Host.WarmUpStatus);
        var list = (await node.CallAsync("file_list"))!;
        Assert.Equal(0, list["total_items"]!.GetValue<int>());
    }

    [Fact]
    public async Task Without_the_warm_up_no_call_is_made()
    {
        await using var node = await TestNode.StartAsync(_directory.Path);

        Assert.Null(node.Host.WarmUpStatus);
    }

    [Fact]
    public async Task A_node_whose_api_needs_a_password_is_answered_401_and_starts_all_the_same()
    {
        var flags = new Dictionary<string, JsonNode?> { [NodeSettingKeys.ApiPasswordHash] = SmartShare.Node.Http.ApiPassword.Hash("a long secret", 100_000) };
        await using var node = await TestNode.StartAsync(_directory.Path, flags: flags, warmUp: true);

        Assert.Equal(401, node.Host.WarmUpStatus);
    }

    [Fact]
    public async Task A_node_starts_and_answers_while_the_prewarm_runs_beside_it()
    {
        var prewarm = Task.Factory.StartNew(() => NodeHost.Prewarm(CancellationToken.None), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        await using var node = await TestNode.StartAsync(_directory.Path);
        await prewarm.WaitAsync(TimeSpan.FromSeconds(60));

        var list = (await node.CallAsync("file_list"))!;
        Assert.Equal(0, list["total_items"]!.GetValue<int>());
    }
}
