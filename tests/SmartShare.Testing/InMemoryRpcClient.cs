using System.Net;
using SmartShare.Kademlia;
using SmartShare.Kademlia.Networking;

namespace SmartShare.Testing;

/// <summary>One node's outgoing requests over an <see cref="InMemoryNetwork"/>.</summary>
internal sealed class InMemoryRpcClient(InMemoryNetwork network, IPEndPoint localEndPoint) : IKademliaRpc
{
    private static readonly object StoreAccepted = new();

    public Task<NodeId?> PingAsync(IPEndPoint remote, CancellationToken cancellationToken) =>
        network.SendAsync(localEndPoint, remote, static (handler, sender) =>
        {
            handler.HandlePing(sender);
            return handler.Id;
        }, cancellationToken);

    public Task<FindNodeResponse?> FindNodeAsync(IPEndPoint remote, NodeId target, CancellationToken cancellationToken) =>
        network.SendAsync(
            localEndPoint,
            remote,
            (handler, sender) => new FindNodeResponse(handler.Id, handler.HandleFindNode(sender, target)),
            cancellationToken);

    public Task<FindValueResponse?> FindValueAsync(IPEndPoint remote, NodeId key, CancellationToken cancellationToken) =>
        network.SendAsync(localEndPoint, remote, (handler, sender) => handler.HandleFindValue(sender, key), cancellationToken);

    public async Task<bool> StoreAsync(
        IPEndPoint remote, NodeId key, ReadOnlyMemory<byte> token, ReadOnlyMemory<byte> peerValue, CancellationToken cancellationToken)
    {
        var answer = await network.SendAsync(
            localEndPoint,
            remote,
            (handler, sender) => handler.HandleStore(sender, key, token.Span, peerValue.Span) ? StoreAccepted : null,
            cancellationToken);
        return answer is not null;
    }
}
