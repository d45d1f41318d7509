using System.Net;
using System.Net.Sockets;
using SmartShare.BitTorrent.Dht;
using SmartShare.Kademlia;

namespace SmartShare.BitTorrent.Tests.Dht;

/// <summary>A bare UDP socket that sends hand-made KRPC datagrams to a node and reads its answers.</summary>
internal sealed class RawKrpcClient : IDisposable
{
    private static readonly TimeSpan AnswerLimit = TimeSpan.FromSeconds(5);

    private readonly Socket _socket;
    private ushort _nextTransaction;

    public RawKrpcClient(string address = "127.0.0.1")
    {
        var bind = IPAddress.Parse(address);
        _socket = new Socket(bind.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        _socket.Bind(new IPEndPoint(bind, 0));
        LocalEndPoint = (IPEndPoint)_socket.LocalEndPoint!;
        Id = NodeId.Random(20, SecureRandomSource.Instance);
    }

    public IPEndPoint LocalEndPoint { get; }

    public NodeId Id { get; }

    public int Available => _socket.Available;

    public byte[] NextTransactionId()
    {
        _nextTransaction++;
        return [(byte)(_nextTransaction >> 8), (byte)_nextTransaction];
    }

    public async Task SendAsync(byte[] datagram, IPEndPoint to) => await _socket.SendToAsync(datagram, SocketFlags.None, to);

    public Task SendAsync(KrpcMessage message, IPEndPoint to) => SendAsync(KrpcCodec.Encode(message), to);

    public async Task<KrpcMessage> ReceiveAsync()
    {
        using var limit = new CancellationTokenSource(AnswerLimit);
        var buffer = new byte[2048];
        var received = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(_socket.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0), limit.Token);
        return KrpcCodec.Decode(buffer.AsMemory(0, received.ReceivedBytes).ToArray());
    }

    public async Task<KrpcMessage> AskAsync(KrpcMessage query, IPEndPoint to)
    {
        await SendAsync(query, to);
        var answer = await ReceiveAsync();
        Assert.Equal(query.TransactionId.ToArray(), answer.TransactionId.ToArray());
        return answer;
    }

    public async Task<KrpcResponse> GetPeersAsync(InfoHash infoHash, IPEndPoint to) =>
        Assert.IsType<KrpcResponse>(await AskAsync(KrpcQuery.GetPeers(NextTransactionId(), Id, infoHash), to));

    public void Dispose() => _socket.Dispose();
}
