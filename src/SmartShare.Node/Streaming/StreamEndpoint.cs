using System.Buffers;
using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using SmartShare.BitTorrent;
using SmartShare.Lbry;
using SmartShare.Lbry.Blobs;
using SmartShare.Lbry.Downloads;
using SmartShare.Lbry.Streams;
using SmartShare.Node.Downloads;
using SmartShare.Threading;

namespace SmartShare.Node.Streaming;

/// <summary>
/// <c>GET /stream/{sd_hash}</c>: the stream's file over HTTP with Range support. A complete download is served
/// from its file; otherwise the bytes come from verified blobs, decrypted on the fly, and the blobs under the
/// requested range are fetched before any other, so a player can start (and seek) while the download runs.
/// </summary>
public static class StreamEndpoint
{
    /// <summary>Blobs asked for ahead of the one being sent, so the network stays busy while the client reads.</summary>
    private const int ReadAhead = 4;

    private static readonly TimeSpan DescriptorWait = TimeSpan.FromSeconds(60);

    public static void Map(IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapMethods("/stream/{sdHash}", ["GET", "HEAD"], HandleAsync);
        endpoints.MapMethods("/stream/{infoHash}/{fileIndex:int}", ["GET", "HEAD"], HandleTorrentFileAsync);
    }

    private static async Task HandleTorrentFileAsync(HttpContext context, string infoHash, int fileIndex)
    {
        if (!InfoHash.TryParse(infoHash, out var hash))
        {
            await PlainAsync(context.Response, StatusCodes.Status400BadRequest, $"'{infoHash}' is not an info hash (40 hex digits).");
            return;
        }

        await TorrentStreamEndpoint.HandleAsync(context, hash, fileIndex);
    }

    private static async Task HandleAsync(HttpContext context, string sdHash)
    {
        var response = context.Response;
        if (InfoHash.TryParse(sdHash, out var infoHash))
        {
            await TorrentStreamEndpoint.HandleAsync(context, infoHash, null);
            return;
        }

        if (!BlobHash.TryParse(sdHash, out var hash))
        {
            await PlainAsync(response, StatusCodes.Status400BadRequest, $"'{sdHash}' is neither an sd hash (96 lowercase hex digits) nor an info hash (40 hex digits).");
            return;
        }

        var downloads = context.RequestServices.GetRequiredService<DownloadManager>();
        var storage = context.RequestServices.GetRequiredService<LbryStorage>();
        var record = downloads.Find(hash);
        if (record is { Kind: FileKind.Download, Status: FileStatus.Completed, Path: { } path } && File.Exists(path))
        {
            await Results.File(path, RangeResponse.ServedContentType(context, path), enableRangeProcessing: true).ExecuteAsync(context);
            return;
        }

        var active = downloads.Active(hash);
        var download = active?.Download;
        var mayStart = !context.Items.ContainsKey(Http.RequestGuard.CrossSiteItem);
        if (!mayStart && download is null && (record is null || storage.Blobs.TryGetLength(hash) is null))
        {
            await PlainAsync(response, StatusCodes.Status403Forbidden, $"A link from another web site cannot start a download; `get` {hash} on the node first.");
            return;
        }

        StreamDescriptor descriptor;
        try
        {
            descriptor = await DescriptorAsync(
                hash, storage, downloads, download, mayStart, context.RequestServices.GetRequiredService<TimeProvider>(), context.RequestAborted);
        }
        catch (LbryDataException ex)
        {
            await PlainAsync(response, StatusCodes.Status502BadGateway, ex.Message);
            return;
        }
        catch (OperationCanceledException) when (!context.RequestAborted.IsCancellationRequested)
        {
            await PlainAsync(response, StatusCodes.Status504GatewayTimeout, $"No peer sent the descriptor of {hash} within {DescriptorWait.TotalSeconds:0} s; the download goes on, try again later.");
            return;
        }

        if (!StreamLayout.IsStandard(descriptor))
        {
            await PlainAsync(response, StatusCodes.Status409Conflict, $"The stream {hash} does not use lbry-sdk's blob layout, so it can be played only once its download is complete.");
            return;
        }

        download ??= downloads.Active(hash)?.Download;
        var reader = new BlobPlaintextReader(storage, descriptor, download);
        await using (reader)
        {
            try
            {
                await ServeAsync(context, descriptor, reader);
            }
            catch (LbryDataException ex) when (!response.HasStarted)
            {
                await PlainAsync(response, StatusCodes.Status502BadGateway, ex.Message);
            }
        }
    }

    private static async Task<StreamDescriptor> DescriptorAsync(
        BlobHash hash, LbryStorage storage, DownloadManager downloads, StreamDownload? download, bool mayStart, TimeProvider time, CancellationToken cancellationToken)
    {
        if (storage.Blobs.TryGetLength(hash) is not null)
        {
            var descriptor = new StreamDecryptor(storage).ReadDescriptor(hash);
            if (mayStart && download is null && descriptor.DataBlobs.Any(blob => storage.Blobs.TryGetLength(blob.BlobHash!.Value) is null))
            {
                downloads.Start(hash, null, []);
            }

            return descriptor;
        }

        download ??= downloads.Start(hash, null, [])?.Download
            ?? throw new StreamDownloadException($"The stream {hash} is neither in the store nor downloadable.");
        using var limit = new TimeLimit(DescriptorWait, time, cancellationToken);
        return await download.WaitForDescriptorAsync(limit.Token);
    }

    private static async Task ServeAsync(HttpContext context, StreamDescriptor descriptor, BlobPlaintextReader reader)
    {
        var response = context.Response;
        var cancellationToken = context.RequestAborted;
        var lastIndex = descriptor.DataBlobCount - 1;
        var lastPlaintext = await reader.PlaintextLengthAsync(lastIndex, cancellationToken);
        var layout = StreamLayout.Create(descriptor, lastPlaintext);

        if (RangeResponse.Begin(context, layout.Length, descriptor.SuggestedFileName) is not { } range)
        {
            return;
        }

        var first = layout.BlobAt(range.First);
        var last = layout.BlobAt(range.Last);
        for (var index = first; index <= last; index++)
        {
            reader.Prefetch(index, Math.Min(index + ReadAhead, last));
            var plaintext = await reader.ReadAsync(index, cancellationToken);
            var start = StreamLayout.StartOf(index);
            var from = (int)Math.Max(0, range.First - start);
            var to = (int)Math.Min(plaintext.Length, range.Last - start + 1);
            await response.Body.WriteAsync(plaintext[from..to], cancellationToken);
        }
    }

    private static Task PlainAsync(HttpResponse response, int status, string message) => RangeResponse.PlainAsync(response, status, message);

    /// <summary>Decrypts blobs of one stream from the store, waiting (with priority) on the download for missing ones.</summary>
    private sealed class BlobPlaintextReader(LbryStorage storage, StreamDescriptor descriptor, StreamDownload? download) : IAsyncDisposable
    {
        private readonly byte[] _key = Convert.FromHexString(descriptor.Key);
        private byte[]? _buffer = BlobBuffers.Pool.Rent(BlobStore.MaxBlobSize);

        public void Prefetch(int first, int last)
        {
            if (download?.Descriptor is not null && first <= last)
            {
                download.Prioritize(first, last);
            }
        }

        public async Task<int> PlaintextLengthAsync(int index, CancellationToken cancellationToken) =>
            (await ReadAsync(index, cancellationToken)).Length;

        /// <summary>The plaintext of blob <paramref name="index"/>, valid until the next call.</summary>
        public async Task<ReadOnlyMemory<byte>> ReadAsync(int index, CancellationToken cancellationToken)
        {
            var buffer = _buffer ?? throw new ObjectDisposedException(nameof(BlobPlaintextReader));
            var info = descriptor.Blobs[index];
            var blobHash = info.BlobHash!.Value;
            if (storage.Blobs.TryGetLength(blobHash) is null)
            {
                if (download is null)
                {
                    throw new StreamDownloadException($"Blob {index} ({blobHash}) of {descriptor.StreamName} is not in the store and no download is running.");
                }

                await download.WaitForBlobsAsync(index, index, cancellationToken);
            }

            var length = storage.Blobs.Read(blobHash, buffer, verify: true);
            var plain = StreamDecryptor.DecryptBlob(_key, info, buffer, length);
            if (index < descriptor.DataBlobCount - 1 && plain != StreamLayout.PlaintextPerFullBlob)
            {
                throw new LbryDataException($"Blob {index} of {descriptor.StreamName} holds {plain} plaintext bytes, not {StreamLayout.PlaintextPerFullBlob}; the stream can be played only once complete.");
            }

            return buffer.AsMemory(0, plain);
        }

        public ValueTask DisposeAsync()
        {
            var buffer = Interlocked.Exchange(ref _buffer, null);
            if (buffer is not null)
            {
                BlobBuffers.Pool.Return(buffer);
            }

            return ValueTask.CompletedTask;
        }
    }
}
