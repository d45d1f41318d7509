using System.Net;
using System.Text.Json.Nodes;
using SmartShare.Node.Tests.Downloads;

namespace SmartShare.Node.Tests.Web;

/// <summary>/events against a real node: a full list first, then only what changed, and the end of the stream at stop.</summary>
public sealed class TransferEventsTests : IDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(20);
    private static readonly HttpClient Http = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = Timeout.InfiniteTimeSpan };

    private readonly NodeTestDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task The_feed_starts_with_every_row_then_sends_only_what_changed_and_what_went()
    {
        await using var node = await TestNode.StartAsync(_directory.File("data"));
        var first = await ShareAsync(node, "first.bin", 1);

        using var response = await Http.GetAsync(new Uri(node.Host.ApiUri, "/events"), HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        using var events = new SseReader(await response.Content.ReadAsStreamAsync());

        var full = await events.WaitForAsync(_ => true, Limit);
        Assert.True(full["full"]!.GetValue<bool>());
        var row = Assert.Single(full["rows"]!.AsArray())!;
        Assert.Equal(first, row["key"]!.GetValue<string>());
        Assert.Equal("stream", row["type"]!.GetValue<string>());
        Assert.Equal("share", row["direction"]!.GetValue<string>());
        Assert.Equal("first.bin", row["name"]!.GetValue<string>());
        Assert.Equal(1.0, row["progress"]!["fraction"]!.GetValue<double>());
        Assert.Null(row["files"]);
        Assert.Equal(1, full["totals"]!["count"]!.GetValue<int>());

        var second = await ShareAsync(node, "second.bin", 2);
        var added = await events.WaitForAsync(data => Keys(data["rows"]).Contains(second), Limit);
        Assert.False(added["full"]!.GetValue<bool>());
        Assert.Equal([second], Keys(added["rows"]));
        Assert.Equal(2, added["totals"]!["count"]!.GetValue<int>());
        Assert.True(added["revision"]!.GetValue<long>() > full["revision"]!.GetValue<long>());

        await node.CallAsync("file_delete", new JsonObject { ["key"] = first });
        var removed = await events.WaitForAsync(data => Keys(data["removed"]).Contains(first), Limit);
        // The only row that may come with it is the other one, moved up the queue into the freed position.
        Assert.All(removed["rows"]!.AsArray(), row => Assert.Equal((second, 0), (row!["key"]!.GetValue<string>(), row["queue_position"]!.GetValue<int>())));
        Assert.Equal(1, removed["totals"]!["count"]!.GetValue<int>());
    }

    [Fact]
    public async Task The_stream_ends_when_the_node_stops_and_a_foreign_page_gets_none()
    {
        var node = await TestNode.StartAsync(_directory.File("data"));
        try
        {
            var foreign = node.Request(HttpMethod.Get, "/events");
            foreign.Headers.Add("Sec-Fetch-Site", "cross-site");
            foreign.Headers.Add("Origin", "http://attacker.test");
            using (var refused = await node.SendAsync(foreign))
            {
                Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            }

            using var response = await Http.GetAsync(new Uri(node.Host.ApiUri, "/events"), HttpCompletionOption.ResponseHeadersRead);
            using var events = new SseReader(await response.Content.ReadAsStreamAsync());
            var full = await events.WaitForAsync(_ => true, Limit);
            Assert.Empty(full["rows"]!.AsArray());

            var stop = node.DisposeAsync().AsTask();
            using var timeout = new CancellationTokenSource(Limit);
            while (await events.NextAsync(timeout.Token) is not null)
            {
                // Nothing changes on an empty node; any event before the end is fine.
            }

            await stop.WaitAsync(Limit);
        }
        finally
        {
            await node.DisposeAsync();
        }
    }

    private async Task<string> ShareAsync(TestNode node, string name, int seed)
    {
        var path = TransferNode.WriteRandomFile(_directory.File(name), 100_000, seed);
        return (await node.CallAsync("stream_create", new JsonObject { ["file_path"] = path }))!["sd_hash"]!.GetValue<string>();
    }

    private static List<string> Keys(JsonNode? rows) =>
        [.. rows!.AsArray().Select(row => row is JsonObject item ? item["key"]!.GetValue<string>() : row!.GetValue<string>())];
}
