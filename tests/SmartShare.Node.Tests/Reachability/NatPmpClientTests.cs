using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Time.Testing;
using SmartShare.Node.Reachability;
using SmartShare.Node.Reachability.NatPmp;

namespace SmartShare.Node.Tests.Reachability;

/// <summary>
/// The PCP and NAT-PMP clients over real UDP sockets against a scripted gateway on loopback: the fallback a
/// NAT-PMP-only router causes, the retransmit schedule on the fake clock, answers that do not match ignored,
/// the epoch that shows a restart, and a port-unreachable that ends the wait at once.
/// </summary>
public sealed class NatPmpClientTests : IDisposable
{
    private static readonly IPAddress External = IPAddress.Parse("11.77.1.1");

    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-12-05T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private readonly UdpClient _gateway = new(new IPEndPoint(IPAddress.Loopback, 0));
    private readonly ConcurrentQueue<byte[]> _received = new();

    private NatPmpOptions Options => new() { Gateway = IPAddress.Loopback, Port = ((IPEndPoint)_gateway.Client.LocalEndPoint!).Port, ListenForAnnouncements = false };

    [Fact]
    public async Task A_nat_pmp_only_gateway_makes_pcp_step_aside_and_nat_pmp_maps_and_deletes()
    {
        uint epoch = 100;
        using var serving = Serve(request => request[0] != 0
            ? [NatPmpCodec.Encode(new NatPmpResponse(request[1], 1, epoch))[..8]]
            : request[1] == 0
                ? [NatPmpCodec.Encode(new NatPmpResponse(0, 0, epoch, External))]
                : [NatPmpCodec.Encode(new NatPmpResponse(request[1], 0, epoch, null, ReadPort(request, 4), ReadPort(request, 6) == 0 ? (ushort)0 : (ushort)(ReadPort(request, 6) + 1), ReadLifetime(request)))]);

        Assert.False(await new PcpProtocol(Options, _time).DiscoverAsync(CancellationToken.None));
        var natPmp = new NatPmpProtocol(Options, _time);
        Assert.True(await natPmp.DiscoverAsync(CancellationToken.None));
        Assert.Equal(External, await natPmp.GetExternalAddressAsync(CancellationToken.None));

        var mapping = await natPmp.MapAsync("tcp", 6881, 6881, TimeSpan.FromSeconds(3600), CancellationToken.None);

        Assert.Equal(new PortMapping("tcp", 6881, new IPEndPoint(External, 6882), "nat-pmp", _time.GetUtcNow().AddSeconds(3600)), mapping);
        await natPmp.UnmapAsync(mapping, CancellationToken.None);
        Assert.Equal(NatPmpCodec.MappingRequest("tcp", 6881, 0, 0), _received.Last());
    }

    [Fact]
    public async Task A_silent_gateway_is_asked_four_times_at_doubling_waits_on_the_clock_then_given_up()
    {
        var discovering = new PcpProtocol(Options, _time).DiscoverAsync(CancellationToken.None);
        using var listening = Serve(_ => []);

        foreach (var (sent, wait) in new[] { (1, 250), (2, 500), (3, 1000), (4, 2000) })
        {
            await WaitUntilAsync(() => _received.Count == sent, $"request {sent} arrives");
            Assert.False(discovering.IsCompleted);
            _time.Advance(TimeSpan.FromMilliseconds(wait - 1));
            await Task.Delay(20);
            Assert.Equal(sent, _received.Count);
            _time.Advance(TimeSpan.FromMilliseconds(1));
        }

        Assert.False(await discovering.WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.Equal(4, _received.Count);
    }

    [Fact]
    public async Task Pcp_ignores_answers_with_another_nonce_and_reports_a_restart_when_the_epoch_goes_back()
    {
        uint epoch = 5000;
        using var serving = Serve(request =>
        {
            if (request[1] == PcpCodec.AnnounceOpcode)
            {
                return [PcpCodec.Encode(new PcpResponse(2, 0, 0, 0, epoch))];
            }

            var nonce = request.AsMemory(24, 12).ToArray();
            var port = ReadPort(request, 40);
            var wrong = new PcpMapResult(new byte[12], request[36], port, 1, IPAddress.Parse("6.6.6.6"));
            var right = new PcpMapResult(nonce, request[36], port, port, External);
            return [PcpCodec.Encode(new PcpResponse(2, 1, 0, 600, epoch, wrong)), [1, 2, 3], PcpCodec.Encode(new PcpResponse(2, 1, 0, 600, epoch, right))];
        });
        var pcp = new PcpProtocol(Options, _time);
        var restarts = 0;
        pcp.GatewayRestarted += () => restarts++;

        Assert.True(await pcp.DiscoverAsync(CancellationToken.None));
        var mapping = await pcp.MapAsync("udp", 4444, 4444, TimeSpan.FromSeconds(600), CancellationToken.None);
        Assert.Equal(new IPEndPoint(External, 4444), mapping.External);
        Assert.Equal(External, await pcp.GetExternalAddressAsync(CancellationToken.None));
        Assert.Equal(0, restarts);

        epoch = 3;
        await pcp.MapAsync("udp", 4444, 4444, TimeSpan.FromSeconds(600), CancellationToken.None);
        Assert.Equal(1, restarts);

        // The renewal reused the mapping's nonce, as deleting it does.
        var maps = _received.Where(datagram => datagram[1] == PcpCodec.MapOpcode).ToList();
        Assert.Equal(maps[0].AsSpan(24, 12).ToArray(), maps[1].AsSpan(24, 12).ToArray());
    }

    [Fact]
    public async Task A_refusal_becomes_a_port_mapping_exception_with_the_result_code()
    {
        using var serving = Serve(request => [PcpCodec.Encode(new PcpResponse(2, 1, 2, 30, 1, new PcpMapResult(request.AsMemory(24, 12).ToArray(), request[36], ReadPort(request, 40), 0, IPAddress.Any)))]);

        var error = await Assert.ThrowsAsync<PortMappingException>(() => new PcpProtocol(Options, _time).MapAsync("tcp", 4444, 4444, TimeSpan.FromSeconds(60), CancellationToken.None));

        Assert.Equal(2, error.ResultCode);
        Assert.Contains("refused", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_gateway_port_nobody_listens_on_ends_the_search_without_waiting()
    {
        int closedPort;
        using (var closed = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0)))
        {
            closedPort = ((IPEndPoint)closed.Client.LocalEndPoint!).Port;
        }

        // The clock never moves: only the port-unreachable can end the search.
        var found = await new NatPmpProtocol(new NatPmpOptions { Gateway = IPAddress.Loopback, Port = closedPort }, _time)
            .DiscoverAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(20));

        Assert.False(found);
    }

    public void Dispose() => _gateway.Dispose();

    private static ushort ReadPort(byte[] bytes, int offset) => (ushort)((bytes[offset] << 8) | bytes[offset + 1]);

    private static uint ReadLifetime(byte[] bytes) => System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(8));

    /// <summary>Answers each request with the datagrams <paramref name="answer"/> gives, in order, until disposed.</summary>
    private CancellationTokenSource Serve(Func<byte[], byte[][]> answer)
    {
        var stop = new CancellationTokenSource();
        _ = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                UdpReceiveResult request;
                try
                {
                    request = await _gateway.ReceiveAsync(stop.Token);
                }
                catch (Exception error) when (error is OperationCanceledException or ObjectDisposedException or SocketException)
                {
                    return;
                }

                _received.Enqueue(request.Buffer);
                foreach (var datagram in answer(request.Buffer))
                {
                    await _gateway.SendAsync(datagram, request.RemoteEndPoint, stop.Token);
                }
            }
        });
        return stop;
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Timed out waiting until {what}.");
            await Task.Delay(5);
        }
    }
}
