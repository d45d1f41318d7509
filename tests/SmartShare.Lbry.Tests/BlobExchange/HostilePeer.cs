using System.Net;
using System.Net.Sockets;

namespace SmartShare.Lbry.Tests.BlobExchange;

/// <summary>
/// A blob-exchange "server" written by hand on a raw listener: it accepts one connection, reads each request the
/// way lbry-sdk's server does (until a read holds '}') and lets the test answer with whatever bytes it likes.
/// </summary>
internal sealed class HostilePeer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _serving;

    public HostilePeer(Func<Socket, int, CancellationToken, Task> answer)
    {
        _listener.Start();
        EndPoint = (IPEndPoint)_listener.LocalEndpoint;
        _serving = ServeAsync(answer);
    }

    public IPEndPoint EndPoint { get; }

    public List<byte[]> Requests { get; } = [];

    public static async Task SendAsync(Socket socket, params byte[][] parts)
    {
        // One buffer, one send: lets a test control what arrives in the same read.
        var all = parts.SelectMany(part => part).ToArray();
        var sent = 0;
        while (sent < all.Length)
        {
            sent += await socket.SendAsync(all.AsMemory(sent), SocketFlags.None);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _serving;
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        _stop.Dispose();
    }

    private async Task ServeAsync(Func<Socket, int, CancellationToken, Task> answer)
    {
        using var socket = await _listener.AcceptSocketAsync(_stop.Token);
        var buffer = new byte[2048];
        for (var n = 0; ; n++)
        {
            var filled = 0;
            while (Array.IndexOf(buffer, (byte)'}', 0, filled) < 0)
            {
                var read = await socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, _stop.Token);
                if (read == 0)
                {
                    return;
                }

                filled += read;
            }

            lock (Requests)
            {
                Requests.Add(buffer.AsSpan(0, filled).ToArray());
            }

            await answer(socket, n, _stop.Token);
        }
    }
}
