using SmartShare.Lbry;
using SmartShare.Lbry.Blobs;
using SmartShare.Lbry.Downloads;
using SmartShare.Lbry.Streams;
using SmartShare.Node.Downloads;
using SmartShare.Threading;

namespace SmartShare.Node.Streaming;

/// <summary>
/// A stream's file for <c>/stream</c>: a complete download from its file; otherwise from verified blobs decrypted
/// on the fly, the blobs under the requested range (and a few ahead) fetched before any other.
/// </summary>
internal sealed class LbryStreamSource : StreamSource
{
    /// <summary>Blobs asked for ahead of the one being sent, so the network stays busy while the client reads.</summary>
    private const int ReadAhead = 4;

    private readonly StreamLayout? _layout;
    private readonly BlobPlaintextReader? _reader;

    private LbryStreamSource(string fileName, long length, string? completePath, StreamLayout? layout, BlobPlaintextReader? reader)
    {
        FileName = fileName;
        Length = length;
        CompletePath = completePath;
        _layout = layout;
        _reader = reader;
    }

    public override string FileName { get; }

    public override long Length { get; }

    public override string? CompletePath { get; }

    /// <summary>Opens the stream <paramref name="hash"/>; starts its download when it is missing blobs (unless <paramref name="mayStart"/> is false).</summary>
    /// <exception cref="StreamUnavailableException">Not streamable now, with the status and a sentence.</exception>
    public static async Task<LbryStreamSource> OpenAsync(
        DownloadManager downloads, LbryStorage storage, BlobHash hash, int? fileIndex, bool mayStart, TimeProvider time, CancellationToken cancellationToken)
    {
        if (fileIndex is { } index && index != 0)
        {
            throw new StreamUnavailableException(404, $"A stream holds one file: /stream/{hash} (or /stream/{hash}/0), not file {index}.");
        }

        var record = downloads.Find(hash);
        if (record is { Kind: FileKind.Download, Status: FileStatus.Completed, Path: { } path } && File.Exists(path))
        {
            return new LbryStreamSource(path, new FileInfo(path).Length, path, null, null);
        }

        var download = downloads.Active(hash)?.Download;
        if (!mayStart && download is null && (record is null || storage.Blobs.TryGetLength(hash) is null))
        {
            throw new StreamUnavailableException(403, $"A link from another web site cannot start a download; `get` {hash} on the node first.");
        }

        StreamDescriptor descriptor;
        try
        {
            descriptor = await DescriptorAsync(hash, storage, downloads, download, mayStart, time, cancellationToken);
        }
        catch (LbryDataException ex)
        {
            throw new StreamUnavailableException(502, ex.Message, ex);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new StreamUnavailableException(504, $"No peer sent the descriptor of {hash} within {downloads.StreamOpenWait.TotalSeconds:0} s; the download goes on, try again later.", ex);
        }

        if (!StreamLayout.IsStandard(descriptor))
        {
            throw new StreamUnavailableException(409, $"The stream {hash} does not use lbry-sdk's blob layout, so it can be played only once its download is complete.");
        }

        download ??= downloads.Active(hash)?.Download;
        var reader = new BlobPlaintextReader(storage, descriptor, download);
        try
        {
            // The headers need the length, which only the last blob tells: like the descriptor, waited for within a limit.
            int lastPlaintext;
            using (var limit = new TimeLimit(downloads.StreamOpenWait, time, cancellationToken))
            {
                lastPlaintext = await reader.LastPlaintextLengthAsync(limit.Token);
            }

            var layout = StreamLayout.Create(descriptor, lastPlaintext);
            return new LbryStreamSource(descriptor.SuggestedFileName, layout.Length, null, layout, reader);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            await reader.DisposeAsync();
            throw new StreamUnavailableException(
                504,
                $"No peer sent blob {descriptor.DataBlobCount - 1} of {hash}, its last, which tells the stream's length, within {downloads.StreamOpenWait.TotalSeconds:0} s; the download goes on, try again later.",
                ex);
        }
        catch (LbryDataException ex)
        {
            await reader.DisposeAsync();
            throw new StreamUnavailableException(502, ex.Message, ex);
        }
        catch
        {
            await reader.DisposeAsync();
            throw;
        }
    }

    public override async Task WriteRangeAsync(ByteRange range, Stream body, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (_reader is null || _layout is null)
        {
            throw new InvalidOperationException("A complete file is served from its path.");
        }

        var first = _layout.BlobAt(range.First);
        var last = _layout.BlobAt(range.Last);
        try
        {
            for (var index = first; index <= last; index++)
            {
                _reader.Prefetch(index, Math.Min(index + ReadAhead, last));
                var plaintext = await _reader.ReadAsync(index, cancellationToken);
                var start = StreamLayout.StartOf(index);
                var from = (int)Math.Max(0, range.First - start);
                var to = (int)Math.Min(plaintext.Length, range.Last - start + 1);
                await body.WriteAsync(plaintext[from..to], cancellationToken);
            }
        }
        catch (LbryDataException ex)
        {
            throw new StreamUnavailableException(502, ex.Message, ex);
        }
    }

    public override async ValueTask DisposeAsync()
    {
        if (_reader is not null)
        {
            await _reader.DisposeAsync();
        }

        await base.DisposeAsync();
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
        using var limit = new TimeLimit(downloads.StreamOpenWait, time, cancellationToken);
        return await download.WaitForDescriptorAsync(limit.Token);
    }
}
