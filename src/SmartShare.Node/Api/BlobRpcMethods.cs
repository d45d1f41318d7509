using System.Text.Json.Nodes;
using SmartShare.Lbry;
using SmartShare.Lbry.Dht;

namespace SmartShare.Node.Api;

/// <summary><c>blob_list</c> (the local store, paged) and <c>peer_list</c> (who the DHT says has a blob).</summary>
internal sealed class BlobRpcMethods(LbryStorage storage, LbryDhtService dht) : IRpcMethodProvider
{
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 1000;

    public void Register(JsonRpcMethods methods)
    {
        ArgumentNullException.ThrowIfNull(methods);
        methods.Add("blob_list", "Blobs in the local store, by hash, paged ({\"page\", \"page_size\"}).", (RpcParams parameters, CancellationToken _) =>
        {
            var page = parameters.GetInt32("page", 1, min: 1);
            var pageSize = parameters.GetInt32("page_size", DefaultPageSize, min: 1, max: MaxPageSize);
            var blobs = storage.Blobs.List();
            var items = new JsonArray();
            foreach (var blob in blobs.Skip((int)Math.Min(int.MaxValue, (long)(page - 1) * pageSize)).Take(pageSize))
            {
                items.Add(new JsonObject { ["blob_hash"] = blob.Hash.ToString(), ["length"] = blob.Length });
            }

            return Task.FromResult<JsonNode?>(new JsonObject
            {
                ["items"] = items,
                ["page"] = page,
                ["page_size"] = pageSize,
                ["total_items"] = blobs.Count,
                ["total_pages"] = (blobs.Count + pageSize - 1) / pageSize,
            });
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
