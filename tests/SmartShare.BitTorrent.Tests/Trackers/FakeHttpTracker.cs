using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace SmartShare.BitTorrent.Tests.Trackers;

/// <summary>
/// A bare HTTP/1.1 server on 127.0.0.1 for tracker tests: each connection carries one request, answered by
/// <see cref="Handler"/> writing raw bytes to the stream, then closed.
/// </summary>
internal sealed class FakeHttpTracker : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    public FakeHttpTracker(Func<string, Stream, CancellationToken, Task> handler)
    {
        Handler = handler;
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = AcceptAsync();
    }

    public Func<string, Stream, CancellationToken, Task> Handler { get; set; }

    public int Port { get; }

    public Uri AnnounceUri => new($"http://127.0.0.1:{Port}/announce");

    /// <summary>The path and query of every request, in arrival order.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    /// <summary>Handler tasks, so tests can wait for one to end.</summary>
    public ConcurrentQueue<Task> Handlers { get; } = new();

    public static FakeHttpTracker Replying(byte[] body) => new((_, stream, ct) => WriteReplyAsync(stream, body, ct));

    public static async Task WriteReplyAsync(Stream stream, byte[] body, CancellationToken cancellationToken, int status = 200)
    {
        var head = $"HTTP/1.1 {status} X\r\nContent-Type: text/plain\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head), cancellationToken);
        await stream.WriteAsync(body, cancellationToken);
        await stream.FlushAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _accepting;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        await Task.WhenAll(Handlers.Select(h => h.ContinueWith(_ => { }, TaskScheduler.Default)));
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var client = await _listener.AcceptTcpClientAsync(_stop.Token);
            Handlers.Enqueue(ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            var stream = client.GetStream();
            var head = new List<byte>();
            var one = new byte[1];
            while (head.Count < 16 * 1024)
            {
                if (await stream.ReadAsync(one, _stop.Token) == 0)
                {
                    return;
                }

                head.Add(one[0]);
                if (head.Count >= 4 && head[^4] == '\r' && head[^3] == '\n' && head[^2] == '\r' && head[^1] == '\n')
                {
                    break;
                }
            }

            var requestLine = Encoding.ASCII.GetString(head.ToArray()).Split("\r\n")[0];
            var target = requestLine.Split(' ')[1];
            Requests.Enqueue(target);
            try
            {
                await Handler(target, stream, _stop.Token);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or SocketException)
            {
                // The client went away or the server is stopping.
            }
        }
    }
}
