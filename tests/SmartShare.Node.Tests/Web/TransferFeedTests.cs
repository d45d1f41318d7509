using System.Text.Json.Nodes;
using SmartShare.Node.Web;

namespace SmartShare.Node.Tests.Web;

/// <summary>The feed's event between two snapshots: everything first, then only what changed, nothing when nothing did.</summary>
public sealed class TransferFeedTests
{
    [Fact]
    public void The_first_event_is_full_then_only_changed_rows_and_removed_keys_and_none_when_equal()
    {
        var first = Snapshot(("a", """{"key":"a","v":1}"""), ("b", """{"key":"b","v":1}"""));
        var second = Snapshot(("b", """{"key":"b","v":2}"""), ("c", """{"key":"c","v":1}"""));

        var full = Parse(TransferFeed.Event(null, first, 1));
        var delta = Parse(TransferFeed.Event(first, second, 2));

        Assert.True(full["full"]!.GetValue<bool>());
        Assert.Equal(["a", "b"], Keys(full["rows"]));
        Assert.Empty(full["removed"]!.AsArray());
        Assert.Equal(2, full["totals"]!["count"]!.GetValue<int>());
        Assert.False(delta["full"]!.GetValue<bool>());
        Assert.Equal(["b", "c"], Keys(delta["rows"]));
        Assert.Equal(2, delta["rows"]![0]!["v"]!.GetValue<int>());
        Assert.Equal(["a"], delta["removed"]!.AsArray().Select(key => key!.GetValue<string>()));
        Assert.Equal(2L, delta["revision"]!.GetValue<long>());
        Assert.Null(TransferFeed.Event(second, Snapshot(("b", """{"key":"b","v":2}"""), ("c", """{"key":"c","v":1}""")), 3));
    }

    [Fact]
    public void An_empty_list_still_gets_its_full_event()
    {
        var empty = Snapshot();

        var full = Parse(TransferFeed.Event(null, empty, 1));

        Assert.True(full["full"]!.GetValue<bool>());
        Assert.Empty(full["rows"]!.AsArray());
        Assert.Null(TransferFeed.Event(empty, Snapshot(), 2));
    }

    private static TransferFeed.Snapshot Snapshot(params (string Key, string Json)[] rows) =>
        new(0, rows.ToDictionary(row => row.Key, row => row.Json), [.. rows.Select(row => row.Key)], 0, 0);

    private static JsonObject Parse(byte[]? data) => (JsonObject)JsonNode.Parse(Assert.IsType<byte[]>(data))!;

    private static List<string> Keys(JsonNode? rows) => [.. rows!.AsArray().Select(row => row!["key"]!.GetValue<string>())];
}
