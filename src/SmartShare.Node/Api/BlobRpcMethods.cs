using System.Text.Json.Nodes;
using SmartShare.Lbry;
using SmartShare.Lbry.Blobs;
using SmartShare.Lbry.Dht;
using SmartShare.Node.Hosting;

namespace SmartShare.Node.Api;

/// <summary>
/// <c>blob_list</c> (the local store, paged), <c>blob_verify</c> (re-hash every blob) and <c>peer_list</c> (who the DHT
/// says has a blob).
/// </summary>
internal sealed class BlobRpcMethods(
    LbryStorage storage, LbryDhtService dht, NodeRuntime runtime, Downloads.FileStore files, BlobStorage.PlainFileStreams plainFiles) : IRpcMethodProvider
{
    public void Register(JsonRpcMethods methods)
    {
        ArgumentNullException.ThrowIfNull(methods);
        methods.Add(
            "blob_list",
            "Blobs the node holds, by hash, paged ({\"page\", \"page_size\"}); each with held: pinned (a share's, a running download's or a listed stream's descriptor: never evicted), cached (evicted past blob_storage_limit) or plain_file (rebuilt on demand from the stream's file at path).",
            (RpcParams parameters, CancellationToken _) =>
            {
                var pinned = BlobStorage.BlobPins.Compute(storage, files);
                // A blob being dropped has lost its file before its index row: it is the plain file's already, and is
                // named once (the index alone would name it twice).
                var fromPlainFiles = plainFiles.BlobsNotInStore().ToList();
                var gone = fromPlainFiles.Select(blob => blob.Hash).ToHashSet();
                var held = storage.Blobs.List()
                    .Where(blob => !gone.Contains(blob.Hash))
                    .Select(blob => (blob.Hash, blob.Length, Held: pinned.Contains(blob.Hash) ? "pinned" : "cached", Path: (string?)null))
                    .Concat(fromPlainFiles.Select(blob => (blob.Hash, blob.Length, Held: "plain_file", Path: (string?)blob.Path)))
                    .OrderBy(blob => blob.Hash.ToString(), StringComparer.Ordinal)
                    .ToList();
                return Task.FromResult<JsonNode?>(RpcPage.Of(parameters, held, blob => new JsonObject
                {
                    ["blob_hash"] = blob.Hash.ToString(),
                    ["length"] = blob.Length,
                    ["held"] = blob.Held,
                    ["path"] = blob.Path,
                }));
            });
        methods.Add(
            "blob_verify",
            "Re-hashes every blob in the store ({\"include_startup\"?: false: also report what start-up found}); damaged ones are deleted, missing ones forgotten; then rebuilds every blob of the streams held as plain files and checks it. Answers {checked, bytes, corrupt, missing, added, plain_files: {checked, broken}}.",
            async (RpcParams parameters, CancellationToken cancellationToken) =>
            {
                var includeStartup = parameters.GetBoolean("include_startup", false);
                var bytes = storage.Blobs.List().Sum(blob => blob.Length);
                var report = await Task.Run(() => storage.Blobs.Reconcile(rehashAll: true, null, cancellationToken), cancellationToken);
                if (includeStartup)
                {
                    report = report.Merge(runtime.StartupReport);
                }

                var plainChecked = plainFiles.HeldCount;
                await Task.Run(() => plainFiles.Check(rehash: true), cancellationToken);

                return new JsonObject
                {
                    ["checked"] = report.Checked,
                    ["bytes"] = bytes,
                    ["corrupt"] = Hashes(report.Corrupt),
                    ["missing"] = Hashes(report.Missing),
                    ["added"] = Hashes(report.Added),
                    ["plain_files"] = new JsonObject
                    {
                        ["checked"] = plainChecked,
                        ["broken"] = Hashes(plainFiles.BrokenStreams()),
                    },
                };
            });
        methods.Add(
            "peer_list",
            "Peers the DHT knows for a blob or sd hash ({\"blob_hash\", \"join\"?: false: first join the DHT when the node knows no contact yet}).",
            async (RpcParams parameters, CancellationToken cancellationToken) =>
            {
                var hash = parameters.GetBlobHash("blob_hash");
                if (parameters.GetBoolean("join", false) && dht.Engine.RoutingTable.Count == 0 && !await dht.JoinAsync(cancellationToken))
                {
                    throw new JsonRpcException(
                        JsonRpcErrorCodes.ServerError,
                        "Cannot reach the DHT: no saved contact and no bootstrap node answered. Give the node a reachable bootstrap node.")
                    {
                        Kind = "io",
                    };
                }

                var peers = await dht.FindPeersAsync(hash, cancellationToken);
                return new JsonArray([.. peers.Select(peer => (JsonNode?)new JsonObject
                {
                    ["address"] = peer.Address.ToString(),
                    ["port"] = peer.TcpPort,
                    ["node_id"] = Convert.ToHexStringLower(peer.NodeId.Span),
                })]);
            });
    }

    private static JsonArray Hashes(IEnumerable<BlobHash> hashes) => [.. hashes.Select(hash => (JsonNode?)JsonValue.Create(hash.ToString()))];
}
