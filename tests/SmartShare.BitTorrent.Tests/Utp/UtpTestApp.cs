using System.Buffers;
using SmartShare.BitTorrent.Utp;

namespace SmartShare.BitTorrent.Tests.Utp;

/// <summary>
/// The application's side of a connection, driven step by step on the test's thread: writes only what the
/// connection takes without waiting, reads whatever arrived. Nothing runs on the thread pool once connected (the
/// handshake's tasks do: how many 10 ms steps it takes may vary by one or two), so a transfer is near-repeatable.
/// </summary>
internal sealed class UtpTestApp(UtpConnection connection)
{
    private readonly ArrayBufferWriter<byte> _received = new();
    private long _count;
    private ReadOnlyMemory<byte> _toSend;

    /// <summary>How long a test waits in real time for a task the fake clock already let finish.</summary>
    public static readonly TimeSpan RealTimeLimit = TimeSpan.FromSeconds(30);

    public UtpConnection Connection { get; } = connection;

    public byte[] Received => _received.WrittenSpan.ToArray();

    public long ReceivedCount => _count;

    /// <summary>Whether the peer's FIN was read (the stream ended).</summary>
    public bool Ended { get; private set; }

    /// <summary>Whether reads are paused (the application is busy).</summary>
    public bool Paused { get; set; }

    /// <summary>Keep only a count of what was read, not the bytes (long runs).</summary>
    public bool CountOnly { get; set; }

    public bool SendDone => _toSend.IsEmpty;

    public void Send(ReadOnlyMemory<byte> data) => _toSend = data;

    /// <summary>Queues what fits and reads what arrived; call after every step.</summary>
    public void Pump()
    {
        while (!_toSend.IsEmpty)
        {
            var room = Math.Min(Connection.WritableBytes, _toSend.Length);
            if (room == 0)
            {
                break;
            }

            var write = Connection.WriteAsync(_toSend[..room], CancellationToken.None);
            Assert.True(write.IsCompletedSuccessfully, "a write within WritableBytes did not complete at once");
            _toSend = _toSend[room..];
        }

        if (Paused || Ended)
        {
            return;
        }

        while (Connection.Reader.TryRead(out var result))
        {
            var buffer = result.Buffer;
            if (buffer.IsEmpty)
            {
                Connection.Reader.AdvanceTo(buffer.End);
                Ended = result.IsCompleted;
                return;
            }

            var length = (int)buffer.Length;
            _count += length;
            if (!CountOnly)
            {
                foreach (var segment in buffer)
                {
                    _received.Write(segment.Span);
                }
            }

            Connection.Reader.AdvanceTo(buffer.End);
            Connection.Consumed(length);
        }
    }

    /// <summary>Opens a connection from <paramref name="client"/> to <paramref name="server"/> over the network.</summary>
    public static async Task<(UtpTestApp Client, UtpTestApp Server)> ConnectAsync(UtpTestNetwork network, UtpSocket client, UtpSocket server)
    {
        server.StartAccepting();
        var connecting = client.ConnectAsync(server.LocalEndPoint, CancellationToken.None);

        var clientConnection = await StepUntilAsync(network, connecting);

        // The acceptor hands out the connection once the opener's first data arrived: one byte opens it.
        var accepting = server.AcceptAsync(CancellationToken.None);
        var hello = new UtpTestApp(clientConnection);
        hello.Send(new byte[] { 42 });
        hello.Pump();
        var serverApp = new UtpTestApp(await StepUntilAsync(network, accepting));
        Assert.True(network.RunUntil(() => { serverApp.Pump(); return serverApp.ReceivedCount == 1; }, TimeSpan.FromSeconds(10)));
        serverApp._received.Clear();
        serverApp._count = 0;
        return (hello, serverApp);
    }

    /// <summary>
    /// Steps the network until <paramref name="task"/> completes. Its continuation runs on the thread pool, so after
    /// each 10 ms of simulated time the test gives it a moment of real time (bounded: the task must finish in time).
    /// </summary>
    public static async Task<T> StepUntilAsync<T>(UtpTestNetwork network, Task<T> task)
    {
        await StepUntilAsync(network, (Task)task);
        return await task;
    }

    /// <inheritdoc cref="StepUntilAsync{T}"/>
    public static async Task StepUntilAsync(UtpTestNetwork network, Task task)
    {
        for (var i = 0; i < 1000 && !task.IsCompleted; i++)
        {
            network.Run(TimeSpan.FromMilliseconds(10));
            await Task.WhenAny(task, Task.Delay(1));
        }

        await task.WaitAsync(RealTimeLimit);
    }

    /// <summary>Steps the network, pumping every app after each step, until <paramref name="done"/> holds.</summary>
    public static bool RunUntil(UtpTestNetwork network, Func<bool> done, TimeSpan limit, params UtpTestApp[] apps) =>
        network.RunUntil(done, limit, () =>
        {
            foreach (var app in apps)
            {
                app.Pump();
            }
        });

    public static byte[] Pattern(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }
}
