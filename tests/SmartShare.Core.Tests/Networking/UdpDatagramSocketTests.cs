using System.Net;
using System.Threading.Channels;
using SmartShare.Networking;

namespace SmartShare.Core.Tests.Networking;

/// <summary>Real UDP sockets on 127.0.0.1.</summary>
public sealed class UdpDatagramSocketTests
{
    private static readonly IPEndPoint AnyLoopbackPort = new(IPAddress.Loopback, 0);

    [Fact]
    public async Task Delivers_datagrams_with_their_source_and_reports_the_bound_port()
    {
        using var receiver = UdpDatagramSocket.Bind(AnyLoopbackPort);
        using var sender = UdpDatagramSocket.Bind(AnyLoopbackPort);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var got = Channel.CreateUnbounded<(byte[] Data, IPEndPoint From)>();
        var loop = receiver.RunAsync((data, from, token) => got.Writer.WriteAsync((data.ToArray(), from), token), stop.Token);

        Assert.NotEqual(0, receiver.LocalEndPoint.Port);
        await sender.SendAsync(new byte[] { 1, 2, 3 }, receiver.LocalEndPoint, stop.Token);
        var (data, from) = await got.Reader.ReadAsync(stop.Token);

        Assert.Equal(new byte[] { 1, 2, 3 }, data);
        Assert.Equal(sender.LocalEndPoint, from);
        await stop.CancelAsync();
        await loop;
    }

    [Fact]
    public async Task A_handler_that_throws_is_counted_and_the_loop_goes_on()
    {
        using var receiver = UdpDatagramSocket.Bind(AnyLoopbackPort);
        using var sender = UdpDatagramSocket.Bind(AnyLoopbackPort);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var good = Channel.CreateUnbounded<byte>();
        var loop = receiver.RunAsync(
            (data, _, token) => data.Span[0] == 0xFF ? throw new InvalidDataException("hostile") : good.Writer.WriteAsync(data.Span[0], token),
            stop.Token);

        await sender.SendAsync(new byte[] { 0xFF }, receiver.LocalEndPoint, stop.Token);
        await sender.SendAsync(new byte[] { 7 }, receiver.LocalEndPoint, stop.Token);

        Assert.Equal(7, await good.Reader.ReadAsync(stop.Token));
        Assert.Equal(1, receiver.HandlerFailures);
        await stop.CancelAsync();
        await loop;
    }

    [Fact]
    public async Task Datagrams_over_the_rate_limit_never_reach_the_handler()
    {
        var limiter = new SourceRateLimiter(TimeProvider.System, datagramsPerSecond: 0.001, burst: 3, maxSources: 16);
        using var receiver = UdpDatagramSocket.Bind(AnyLoopbackPort, limiter);
        using var sender = UdpDatagramSocket.Bind(AnyLoopbackPort);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var handled = 0;
        var loop = receiver.RunAsync((_, _, _) => { handled++; return ValueTask.CompletedTask; }, stop.Token);

        for (var i = 0; i < 20; i++)
        {
            await sender.SendAsync(new byte[] { (byte)i }, receiver.LocalEndPoint, stop.Token);
        }

        // Loopback UDP does not drop 20 tiny datagrams; wait until all were seen, then check the split.
        while (receiver.Received < 20)
        {
            await Task.Delay(5, stop.Token);
        }

        Assert.Equal(3, handled);
        Assert.Equal(17, receiver.RateLimited);
        await stop.CancelAsync();
        await loop;
    }

    [Fact]
    public async Task Sending_to_a_closed_port_does_not_throw_or_stop_receiving()
    {
        using var receiver = UdpDatagramSocket.Bind(AnyLoopbackPort);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var got = Channel.CreateUnbounded<byte>();
        var loop = receiver.RunAsync((data, _, token) => got.Writer.WriteAsync(data.Span[0], token), stop.Token);
        int closedPort;
        using (var closed = UdpDatagramSocket.Bind(AnyLoopbackPort))
        {
            closedPort = closed.LocalEndPoint.Port;
        }

        await receiver.SendAsync(new byte[] { 1 }, new IPEndPoint(IPAddress.Loopback, closedPort), stop.Token);
        using var sender = UdpDatagramSocket.Bind(AnyLoopbackPort);
        await sender.SendAsync(new byte[] { 9 }, receiver.LocalEndPoint, stop.Token);

        Assert.Equal(9, await got.Reader.ReadAsync(stop.Token));
        await stop.CancelAsync();
        await loop;
    }

    [Fact]
    public async Task A_socket_closed_before_its_loop_receives_ends_the_loop_quietly()
    {
        // The race a port's owner meets when it closes the port at once after binding it (a start that retries
        // another port): the loop's first receive finds the socket already closed, with its token not yet cancelled.
        var receiver = UdpDatagramSocket.Bind(AnyLoopbackPort);
        receiver.Dispose();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(10));

        await receiver.RunAsync((_, _, _) => ValueTask.CompletedTask, stop.Token).WaitAsync(stop.Token);

        Assert.Equal(0, receiver.Received);
    }

    [Fact]
    public async Task Closing_the_socket_under_a_waiting_receive_ends_the_loop_quietly()
    {
        var receiver = UdpDatagramSocket.Bind(AnyLoopbackPort);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var loop = receiver.RunAsync((_, _, _) => ValueTask.CompletedTask, stop.Token);

        receiver.Dispose();

        await loop.WaitAsync(stop.Token);
    }
}
