using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Time.Testing;
using SmartShare.BitTorrent.Engine;
using SmartShare.BitTorrent.PeerWire;

namespace SmartShare.BitTorrent.Tests.Engine;

/// <summary>The metadata fetcher's request timeout on a fake clock.</summary>
public sealed class MetadataFetcherClockTests
{
    private static readonly InfoHash Hash = InfoHash.Parse("cccccccccccccccccccccccccccccccccccccccc");
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task A_peer_that_never_sends_its_extension_handshake_is_dropped_after_the_request_timeout()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var answered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stop = new CancellationTokenSource();
        var peer = Task.Run(() => AnswerHandshakeThenStaySilentAsync(listener, answered, stop.Token));

        var time = new FakeTimeProvider();
        var log = new List<string>();
        await using var fetcher = new MetadataFetcher(Hash, PeerId.Generate(SecureRandomSource.Instance), 0, new PeerConnectionOptions { Encryption = EncryptionMode.Disable }, Add, time);
        fetcher.AddPeers([(IPEndPoint)listener.LocalEndpoint]);
        var fetching = fetcher.FetchAsync(stop.Token);
        await answered.Task.WaitAsync(Patience);
        await WaitForAsync(() => fetcher.ConnectedSources == 1).WaitAsync(Patience);

        // RequestTimeout (15 s) of fake time: kept for 14 s, dropped at 15.
        const string Dropped = "sent no extension handshake within 15 s";
        await time.AdvanceInStepsAsync(TimeSpan.FromSeconds(14), TimeSpan.FromSeconds(1));
        Assert.False(Logged(Dropped), "dropped before RequestTimeout had passed");
        var waited = await time.AdvanceUntilAsync(WaitForAsync(() => Logged(Dropped)), TimeSpan.FromSeconds(1));
        Assert.InRange(waited, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5));

        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => fetching.WaitAsync(Patience));
        await peer.WaitAsync(Patience);

        void Add(string line)
        {
            lock (log)
            {
                log.Add(line);
            }
        }

        bool Logged(string text)
        {
            lock (log)
            {
                return log.Exists(line => line.Contains(text, StringComparison.Ordinal));
            }
        }
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        while (!condition())
        {
            await Task.Delay(10);
        }
    }

    private static async Task AnswerHandshakeThenStaySilentAsync(TcpListener listener, TaskCompletionSource answered, CancellationToken stop)
    {
        using var socket = await listener.AcceptSocketAsync(stop);
        var theirs = new byte[HandshakeCodec.Length];
        for (var read = 0; read < theirs.Length;)
        {
            read += await socket.ReceiveAsync(theirs.AsMemory(read), SocketFlags.None, stop);
        }

        var ours = new byte[HandshakeCodec.Length];
        HandshakeCodec.Write(ours, new Handshake(Hash, PeerId.Generate(SecureRandomSource.Instance), PeerCapabilities.ExtensionProtocol));
        await socket.SendAsync(ours, SocketFlags.None, stop);
        answered.SetResult();

        // Reads whatever comes (their extension handshake) and answers nothing, until dropped or stopped.
        var sink = new byte[4096];
        try
        {
            while (await socket.ReceiveAsync(sink, SocketFlags.None, stop) > 0)
            {
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException)
        {
        }
    }
}
