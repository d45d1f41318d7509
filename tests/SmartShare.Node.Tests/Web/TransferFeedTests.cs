using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using SmartShare.Node.Transfers;
using SmartShare.Node.Web;

namespace SmartShare.Node.Tests.Web;

/// <summary>
/// The feed's events: everything first, then only the rows that changed and the keys removed, none when nothing did;
/// and a row's JSON is written once, then again only when the row changed (the feed once wrote every row each second).
/// </summary>
public sealed class TransferFeedTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeSeconds(1_780_000_000);

    private readonly FakeTimeProvider _time = new(T0);
    private readonly Dictionary<TransferKey, TransferRow> _rows = [];
    private readonly TransferFeed _feed;

    public TransferFeedTests()
    {
        _feed = new TransferFeed(rows => rows.AddRange(_rows.Values), _time);
    }

    [Fact]
    public void The_first_event_is_full_then_only_changed_rows_and_removed_keys_and_none_when_equal()
    {
        Set(Row(1), Row(2));
        var (fullData, sent) = _feed.Next(TransferFeed.NothingSent, 1);
        var full = Parse(fullData);

        Advance();
        Set(Row(2) with { BytesHave = 5 }, Row(3));
        _rows.Remove(Row(1).Key);
        var (deltaData, afterDelta) = _feed.Next(sent, 2);
        var delta = Parse(deltaData);

        Assert.True(full["full"]!.GetValue<bool>());
        Assert.Equal([Hash(1), Hash(2)], Keys(full["rows"]));
        Assert.Empty(full["removed"]!.AsArray());
        Assert.Equal(2, full["totals"]!["count"]!.GetValue<int>());
        Assert.False(delta["full"]!.GetValue<bool>());
        Assert.Equal([Hash(2), Hash(3)], Keys(delta["rows"]));
        Assert.Equal(5, delta["rows"]![0]!["progress"]!["bytes_have"]!.GetValue<long>());
        Assert.Equal([Hash(1)], delta["removed"]!.AsArray().Select(key => key!.GetValue<string>()));
        Assert.Equal(2L, delta["revision"]!.GetValue<long>());
        Assert.Equal(2, delta["totals"]!["count"]!.GetValue<int>());

        Advance();
        Assert.Null(_feed.Next(afterDelta, 3).Data);
    }

    [Fact]
    public void An_empty_list_still_gets_its_full_event()
    {
        var (data, sent) = _feed.Next(TransferFeed.NothingSent, 1);
        var full = Parse(data);

        Assert.True(full["full"]!.GetValue<bool>());
        Assert.Empty(full["rows"]!.AsArray());
        Advance();
        Assert.Null(_feed.Next(sent, 2).Data);
    }

    [Fact]
    public void Rows_are_written_only_when_they_change_and_each_watcher_gets_what_changed_since_its_last_event()
    {
        Set([.. Enumerable.Range(0, 1000).Select(Row)]);
        var (first, one) = _feed.Next(TransferFeed.NothingSent, 1);
        Assert.Equal(1000, Parse(first)["rows"]!.AsArray().Count);
        Assert.Equal(1000, _feed.RowsWritten);

        // A quiet minute: read every second, nothing written, nothing sent.
        for (var tick = 0; tick < 60; tick++)
        {
            Advance();
            (var quiet, one) = _feed.Next(one, 2);
            Assert.Null(quiet);
        }

        Assert.Equal(1000, _feed.RowsWritten);

        // One row changes: written once, and the watcher that saw everything gets that row only.
        Set(Row(500) with { State = TransferState.Stopped });
        Advance();
        var (change, afterChange) = _feed.Next(one, 2);
        Assert.Equal(1001, _feed.RowsWritten);
        var changed = Parse(change);
        Assert.False(changed["full"]!.GetValue<bool>());
        Assert.Equal([Hash(500)], Keys(changed["rows"]));
        Assert.Equal("stopped", changed["rows"]![0]!["state"]!.GetValue<string>());

        // A second watcher joining now gets every row, with the change, from the same reading: nothing written again.
        var (second, _) = _feed.Next(TransferFeed.NothingSent, 1);
        Assert.Equal(1000, Parse(second)["rows"]!.AsArray().Count);
        Assert.Equal(1001, _feed.RowsWritten);

        // A rate moving under its rounding changes the row but not its JSON: nothing sent.
        Set(Row(7) with { UploadRate = 0.2 });
        Advance();
        Assert.Null(_feed.Next(afterChange, 3).Data);
    }

    [Fact]
    public void A_key_removed_and_listed_again_comes_as_a_row_not_as_removed()
    {
        Set(Row(1), Row(2));
        var (_, sent) = _feed.Next(TransferFeed.NothingSent, 1);

        _rows.Remove(Row(1).Key);
        Advance();
        _feed.Next(TransferFeed.NothingSent, 1); // another watcher's reading sees it gone
        Set(Row(1) with { BytesHave = 9 });
        Advance();
        var delta = Parse(_feed.Next(sent, 2).Data);

        Assert.Equal([Hash(1)], Keys(delta["rows"]));
        Assert.Empty(delta["removed"]!.AsArray());
    }

    [Fact]
    public void A_reading_within_half_an_interval_is_shared()
    {
        Set(Row(1));
        var (_, sent) = _feed.Next(TransferFeed.NothingSent, 1);
        Set(Row(1) with { BytesHave = 3 });

        _time.Advance(TransferFeed.Interval / 4);
        Assert.Null(_feed.Next(sent, 2).Data);
        _time.Advance(TransferFeed.Interval / 4);
        Assert.Equal([Hash(1)], Keys(Parse(_feed.Next(sent, 2).Data)["rows"]));
    }

    private void Set(params TransferRow[] rows)
    {
        foreach (var row in rows)
        {
            _rows[row.Key] = row;
        }
    }

    private void Advance() => _time.Advance(TransferFeed.Interval);

    private static TransferRow Row(int n) =>
        new(new TransferKey(TransferNetwork.Torrent, Hash(n)), $"t{n}", TransferDirection.Share, TransferState.Seeding, 100, 100, 0, 0, 0, 0, 0, 0, 0, null, false, T0.AddSeconds(n), true);

    private static string Hash(int n) => n.ToString("x40", System.Globalization.CultureInfo.InvariantCulture);

    private static JsonObject Parse(byte[]? data) => (JsonObject)JsonNode.Parse(Assert.IsType<byte[]>(data))!;

    private static List<string> Keys(JsonNode? rows) => [.. rows!.AsArray().Select(row => row!["key"]!.GetValue<string>())];
}
