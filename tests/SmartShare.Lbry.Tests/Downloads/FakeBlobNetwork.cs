using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using SmartShare.Lbry.BlobExchange;
using SmartShare.Lbry.Blobs;

namespace SmartShare.Lbry.Tests.Downloads;

/// <summary>How a fake peer answers.</summary>
public enum FakePeerBehavior
{
    Honest,
    SendsCorruptBlobs,
    NeverAnswers,
    RefusesConnections,
}

/// <summary>
/// Peers in memory that serve the blobs of a real store, honestly or not, and count what they were asked; the
/// downloader's scheduling is tested against these, the real sockets in the blob-exchange tests.
/// </summary>
public sealed class FakeBlobNetwork : IBlobPeerConnector
{
    private readonly ConcurrentDictionary<IPEndPoint, FakePeer> _peers = new();

    public FakePeer Add(int port, BlobStore store, FakePeerBehavior behavior = FakePeerBehavior.Honest, Func<BlobHash, bool>? has = null)
    {
        var peer = new FakePeer(new IPEndPoint(IPAddress.Loopback, port), store, behavior, has ?? (_ => true));
        _peers[peer.EndPoint] = peer;
        return peer;
    }

    public Task<IBlobPeerConnection> ConnectAsync(IPEndPoint peer, CancellationToken cancellationToken)
    {
        if (!_peers.TryGetValue(peer, out var fake) || fake.Behavior == FakePeerBehavior.RefusesConnections)
        {
            throw new BlobExchangeException(BlobExchangeFailure.ConnectFailed, peer, $"Connection to {peer} refused.");
        }

        Interlocked.Increment(ref fake.ConnectionCount);
        return Task.FromResult<IBlobPeerConnection>(new FakeConnection(fake));
    }

    public sealed class FakePeer(IPEndPoint endPoint, BlobStore store, FakePeerBehavior behavior, Func<BlobHash, bool> has)
    {
        internal int ConnectionCount;
        internal int RequestCount;

        public IPEndPoint EndPoint { get; } = endPoint;

        public BlobStore Store { get; } = store;

        public FakePeerBehavior Behavior { get; set; } = behavior;

        public Func<BlobHash, bool> Has { get; set; } = has;

        public int Connections => Volatile.Read(ref ConnectionCount);

        public int Requests => Volatile.Read(ref RequestCount);

        public ConcurrentBag<BlobHash> Served { get; } = [];

        /// <summary>Awaited before the peer answers a request it can answer (a peer slow on one blob).</summary>
        public Func<BlobHash, CancellationToken, Task>? BeforeAnswer { get; set; }
    }

    private sealed class FakeConnection(FakePeer peer) : IBlobPeerConnection
    {
        public IPEndPoint Peer => peer.EndPoint;

        public async Task<ReceivedBlob> DownloadAsync(BlobHash hash, int? expectedLength, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref peer.RequestCount);
            await Task.Yield();
            switch (peer.Behavior)
            {
                case FakePeerBehavior.NeverAnswers:
                    await Task.Delay(Timeout.Infinite, cancellationToken);
                    break;
                case FakePeerBehavior.SendsCorruptBlobs:
                    throw new BlobExchangeException(BlobExchangeFailure.CorruptBlob, peer.EndPoint, $"Peer {peer.EndPoint} sent bytes for {hash} that hash to something else.");
            }

            if (!peer.Has(hash) || peer.Store.TryGetLength(hash) is null)
            {
                throw new BlobExchangeException(BlobExchangeFailure.NotAvailable, peer.EndPoint, $"Peer {peer.EndPoint} does not have {hash}.");
            }

            if (peer.BeforeAnswer is { } wait)
            {
                await wait(hash, cancellationToken);
            }

            var buffer = ArrayPool<byte>.Shared.Rent(BlobStore.MaxBlobSize);
            var length = peer.Store.Read(hash, buffer, verify: true);
            peer.Served.Add(hash);
            return new ReceivedBlob(hash, buffer, length);
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
