using System.Net;
using System.Net.Sockets;
using SmartShare.Node.Client;

namespace SmartShare.Node.Tests.Client;

/// <summary>
/// The probe a command makes before it calls a node: one connect to the API's port on this machine, false only when the
/// port refuses it (nothing listens), true when something listens.
/// </summary>
public sealed class NodeApiProbeTests
{
    [Fact]
    public async Task A_loopback_port_nobody_listens_on_is_told_apart_from_one_with_a_listener()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        var port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        using (var listening = new NodeApiClient(new Uri($"http://127.0.0.1:{port}/")))
        {
            Assert.True(await listening.MayBeListeningAsync());
        }

        listener.Close();
        using var refused = new NodeApiClient(new Uri($"http://localhost:{port}/"));
        Assert.False(await refused.MayBeListeningAsync());
    }

    [Fact]
    public async Task A_cancelled_probe_says_so()
    {
        using var client = new NodeApiClient(new Uri("http://127.0.0.1:9/"));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.MayBeListeningAsync(new CancellationToken(canceled: true)));
    }
}
