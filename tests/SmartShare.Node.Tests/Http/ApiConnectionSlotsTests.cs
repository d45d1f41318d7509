using System.Net;
using System.Net.Sockets;
using System.Text;
using SmartShare.Node.Http;

namespace SmartShare.Node.Tests.Http;

/// <summary>
/// The API listener's per-host connection cap, over real sockets: one host opening far more idle connections than
/// its share gets only its share (its oldest idle ones are closed), and neither it nor another host is locked out.
/// </summary>
public sealed class ApiConnectionSlotsTests : IAsyncLifetime, IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly NodeTestDirectory _directory = new();
    private TestNode? _node;

    public async Task InitializeAsync() => _node = await TestNode.StartAsync(Path.Combine(_directory.Path, "data"));

    [Fact]
    public async Task A_host_holding_hundreds_of_idle_connections_keeps_only_its_share_and_locks_no_one_out()
    {
        var api = _node!.Host.ApiUri;
        var target = new IPEndPoint(IPAddress.Parse(api.Host), api.Port);
        var flooder = IPAddress.Parse("127.0.0.2");
        var idle = new List<Socket>();
        try
        {
            const int opened = ApiConnectionSlots.PerHost * 3;
            for (var i = 0; i < opened; i++)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                socket.Bind(new IPEndPoint(flooder, 0));
                await socket.ConnectAsync(target);
                idle.Add(socket);
            }

            // The node closes every idle connection beyond the host's share, oldest first.
            var closed = await WaitForClosedAsync(idle, opened - ApiConnectionSlots.PerHost);
            Assert.Equal(opened - ApiConnectionSlots.PerHost, closed);
            Assert.True(_node.Host.ApiSlots.Evicted >= opened - ApiConnectionSlots.PerHost);

            // Another host's request and the flooding host's own real request both get their answer.
            Assert.Equal(HttpStatusCode.OK, await StatusFromAsync(IPAddress.Parse("127.0.0.3"), api));
            Assert.Equal(HttpStatusCode.OK, await StatusFromAsync(flooder, api));
        }
        finally
        {
            foreach (var socket in idle)
            {
                socket.Dispose();
            }
        }
    }

    // Counts the sockets the node closed (a read of 0 bytes or a reset), waiting until at least `expected` are.
    private static async Task<int> WaitForClosedAsync(List<Socket> sockets, int expected)
    {
        var closed = new bool[sockets.Count];
        var buffer = new byte[16];
        using var limit = new CancellationTokenSource(Patience);
        while (true)
        {
            for (var i = 0; i < sockets.Count; i++)
            {
                if (!closed[i] && sockets[i].Poll(0, SelectMode.SelectRead))
                {
                    try
                    {
                        closed[i] = sockets[i].Receive(buffer) == 0;
                    }
                    catch (SocketException)
                    {
                        closed[i] = true;
                    }
                }
            }

            var count = closed.Count(c => c);
            if (count >= expected || limit.IsCancellationRequested)
            {
                // A moment more: no further connection of the host's share may be closed.
                await Task.Delay(300, CancellationToken.None);
                return closed.Count(c => c) == count ? count : -1;
            }

            await Task.Delay(50, CancellationToken.None);
        }
    }

    private static async Task<HttpStatusCode> StatusFromAsync(IPAddress from, Uri api)
    {
        using var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, token) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                socket.Bind(new IPEndPoint(from, 0));
                await socket.ConnectAsync(context.DnsEndPoint.Host, context.DnsEndPoint.Port, token);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        using var client = new HttpClient(handler) { Timeout = Patience };
        using var content = new StringContent("""{"method": "status"}""", Encoding.UTF8, "application/json");
        using var response = await client.PostAsync(api, content);
        return response.StatusCode;
    }

    public async Task DisposeAsync()
    {
        if (_node is not null)
        {
            await _node.DisposeAsync();
        }
    }

    public void Dispose() => _directory.Dispose();
}
