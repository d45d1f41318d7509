using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using SmartShare.Lbry;
using SmartShare.Lbry.BlobExchange;
using SmartShare.Lbry.Dht;
using SmartShare.Networking;
using SmartShare.Node.Hosting;
using SmartShare.Node.Settings;

namespace SmartShare.Node.Downloads;

/// <summary>
/// Serves the node's verified blobs to other peers over TCP on the same port number as the DHT, which is
/// where lbry-sdk downloaders look for it (they guess the UDP port from the TCP one). The LBRY network
/// (<see cref="Networks.LbryNetwork"/>) starts and stops it with its DHT.
/// </summary>
public sealed class BlobServerHost(
    LbryStorage storage,
    LbryDhtService dht,
    NodeSettingsStore settings,
    TimeProvider time,
    Transfers.UploadLedger? uploads = null,
    Limits.BandwidthLimits? limits = null,
    BlobStorage.BlobHosting? hosting = null) : IStatusContributor, IAsyncDisposable
{
    private BlobExchangeServer? _server;

    /// <summary>Where the server listens, once started.</summary>
    public IPEndPoint? LocalEndPoint => _server?.LocalEndPoint;

    public string Section => "blob_exchange";

    /// <summary>Listens on a second address too (the IPv6 side, same port number).</summary>
    /// <exception cref="SocketException">The address is taken, or its family is not available.</exception>
    public IPEndPoint ListenAlso(IPEndPoint bind) =>
        (_server ?? throw new InvalidOperationException("The blob server has not been started.")).ListenAlso(bind);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // The DHT's bound address (the bind setting's IPv4 side) and port; the IPv6 side comes through ListenAlso.
        var bind = new IPEndPoint(dht.LocalEndPoint.Address, dht.LocalEndPoint.Port);
        // The node's upload limiter (shared with BitTorrent), or a stream's own chained under it.
        var limiter = limits?.Upload ?? new ByteRateLimiter(() => settings.Current.MaxUploadKibPerSecond * 1024L, time);
        var options = new BlobExchangeServerOptions
        {
            UploadLimiter = limiter,
            UploadLimiterFor = limits is null ? null : blob => limits.UploadFor(storage.Streams.StreamsContaining(blob).Select(sdHash => Transfers.TransferKey.Of(sdHash))),
            FallbackSource = hosting?.Source,
        };
        var server = new BlobExchangeServer(storage.Blobs, options, time)
        {
            BlobSent = uploads is null && hosting is null ? null : CountUpload,
        };
        try
        {
            server.Start(bind);
        }
        catch (SocketException ex)
        {
            throw new NodeStartException(
                $"Cannot listen on TCP {bind} for blob exchange: {ex.Message}. The DHT took UDP {bind.Port}; the blob server needs the same TCP port. Choose another --port.", ex);
        }

        _server = server;
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await DisposeAsync();

    // A blob sent counts for every stream it belongs to (its descriptor, or one of its data blobs).
    private void CountUpload(SmartShare.Lbry.Blobs.BlobHash blob, long length)
    {
        hosting?.Served(blob);
        if (uploads is null)
        {
            return;
        }

        foreach (var sdHash in storage.Streams.StreamsContaining(blob))
        {
            uploads?.Add(Transfers.TransferKey.Of(sdHash), length);
        }
    }

    public JsonNode? Describe()
    {
        var server = _server;
        return server is null
            ? null
            : new JsonObject
            {
                ["tcp_port"] = server.LocalEndPoint.Port,
                ["connections"] = server.ActiveConnections,
                ["connections_refused"] = server.ConnectionsRefused,
                ["idle_connections_evicted"] = server.ConnectionsEvicted,
                ["blobs_served"] = server.BlobsServed,
                ["bytes_served"] = server.BytesServed,
                ["damaged_blobs_dropped"] = server.DamagedBlobsDropped,
                ["blob_files_hashed_on_serve"] = server.BlobFilesHashedOnServe,
            };
    }

    public async ValueTask DisposeAsync()
    {
        var server = Interlocked.Exchange(ref _server, null);
        if (server is not null)
        {
            await server.DisposeAsync();
        }
    }
}
