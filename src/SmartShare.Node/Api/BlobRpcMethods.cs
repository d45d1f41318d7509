using System.Text.Json.Nodes;
using SmartShare.Lbry;
using SmartShare.Lbry.Dht;

namespace SmartShare.Node.Api;

/// <summary><c>blob_list</c> (the local store, paged) and <c>peer_list</c> (who the DHT says has a blob).</summary>
internal sealed class BlobRpcMethods(LbryStorage storage, LbryDhtService dht) : IRpcMethodProvider
{
    public void Register(JsonRpcMethods methods)
    {
        ArgumentNullException.ThrowIfNull(methods);
        methods.Add("blob_list", "Blobs in the local store, by hash, paged ({\"page\", \"page_size\"}).", (RpcParams parameters, CancellationToken _) =>
        {
            var blobs = storage.Blobs.List();
            return Task.FromResult<JsonNode?>(RpcPage.Of(
                parameters, blobs, blob => new JsonObject { ["blob_hash"] = blob.Hash.ToString(), ["length"] = blob.Length }));
        });
        methods.Add("peer_list", "Peers the DHT knows for a blob or sd hash ({\"blob_hash\"}).", async (RpcParams parameters, CancellationToken cancellationToken) =>
        {
            var hash = parameters.GetBlobHash("blob_hash");
            var peers = await dht.FindPeersAsync(hash, cancellationToken);
            return new JsonArray([.. peers.Select(peer => (JsonNode?)new JsonObject
            {
                ["address"] = peer.Address.ToString(),
                ["port"] = peer.TcpPort,
                ["node_id"] = Convert.ToHexStringLower(peer.NodeId.Span),
            })]);
        });
    }
}
