using System.Net;
using SmartShare.Networking;

namespace SmartShare.Core.Tests.Networking;

public sealed class PendingRequestsTests
{
    private static readonly IPAddress Peer = IPAddress.Parse("10.0.0.1");
    private static readonly IPAddress Other = IPAddress.Parse("10.0.0.2");
    private static readonly TimeSpan Long = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task A_response_from_the_address_asked_completes_the_request()
    {
        var pending = new PendingRequests<int, string>(TimeProvider.System, capacity: 10);
        Assert.True(pending.TryAdd(1, Peer, Long, CancellationToken.None, out var response));

        Assert.True(pending.TryComplete(1, Peer, "pong"));

        Assert.Equal("pong", await response);
        Assert.Equal(0, pending.Count);
    }

    [Fact]
    public void A_response_from_another_address_is_ignored_and_counted()
    {
        var pending = new PendingRequests<int, string>(TimeProvider.System, capacity: 10);
        pending.TryAdd(1, Peer, Long, CancellationToken.None, out var response);

        Assert.False(pending.TryComplete(1, Other, "forged"));
        Assert.False(pending.TryComplete(2, Peer, "unknown id"));

        Assert.False(response.IsCompleted);
        Assert.Equal(2, pending.Unmatched);
        Assert.True(pending.TryComplete(1, IPAddress.Parse("::ffff:10.0.0.1"), "mapped address counts as the same"));
    }

    [Fact]
    public async Task A_request_without_an_answer_times_out()
    {
        var pending = new PendingRequests<int, string>(TimeProvider.System, capacity: 10);
        pending.TryAdd(1, Peer, TimeSpan.FromMilliseconds(20), CancellationToken.None, out var response);

        await Assert.ThrowsAsync<TimeoutException>(() => response.WaitAsync(TimeSpan.FromSeconds(10)));

        Assert.Equal(0, pending.Count);
        Assert.False(pending.TryComplete(1, Peer, "too late"));
    }

    [Fact]
    public async Task Cancelling_the_caller_ends_the_request()
    {
        var pending = new PendingRequests<int, string>(TimeProvider.System, capacity: 10);
        using var cancel = new CancellationTokenSource();
        pending.TryAdd(1, Peer, Long, cancel.Token, out var response);

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => response);
        Assert.Equal(0, pending.Count);
    }

    [Fact]
    public async Task An_error_from_the_peer_fails_the_request()
    {
        var pending = new PendingRequests<int, string>(TimeProvider.System, capacity: 10);
        pending.TryAdd(1, Peer, Long, CancellationToken.None, out var response);

        Assert.True(pending.TryFail(1, Peer, new InvalidOperationException("Invalid token")));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => response);
        Assert.Equal("Invalid token", error.Message);
    }

    [Fact]
    public void The_table_is_bounded_and_ids_are_unique()
    {
        var pending = new PendingRequests<int, string>(TimeProvider.System, capacity: 3);
        for (var i = 0; i < 3; i++)
        {
            Assert.True(pending.TryAdd(i, Peer, Long, CancellationToken.None, out _));
        }

        Assert.False(pending.TryAdd(99, Peer, Long, CancellationToken.None, out _));
        pending.TryComplete(0, Peer, "done");
        Assert.False(pending.TryAdd(1, Peer, Long, CancellationToken.None, out _));
        Assert.True(pending.TryAdd(99, Peer, Long, CancellationToken.None, out _));
        Assert.Equal(3, pending.Count);
    }
}
