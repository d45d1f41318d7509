using System.Collections.Concurrent;
using System.Net;
using SmartShare.IO;
using SmartShare.Lbry.BlobExchange;
using SmartShare.Lbry.Blobs;
using SmartShare.Lbry.Streams;

namespace SmartShare.Lbry.Downloads;

/// <summary>
/// Downloads one LBRY stream: peers from the DHT and from the caller, the sd blob, then every data blob over
/// several connections to several peers at once, each blob verified before it is used; the file is
/// decrypted in order into a hidden partial file and renamed when complete. Blobs already in the store are
/// not fetched again, so running it again after a crash or a failure resumes. Without
/// <see cref="StreamDownloadOptions.KeepDataBlobs"/> a blob the writer takes from memory goes only into the file, and
/// the partial file, its blobs checked again, is what a later run resumes from.
/// </summary>
public sealed partial class StreamDownload
{
    private static readonly TimeSpan IdlePoll = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan NoPeerSearchInterval = TimeSpan.FromSeconds(3);

    private readonly LbryStorage _storage;
    private readonly IBlobPeerConnector _connector;
    private readonly IStreamPeerFinder? _finder;
    private readonly string _downloadDirectory;
    private readonly StreamDownloadOptions _options;
    private readonly TimeProvider _time;
    private readonly BlobScheduler _scheduler;
    private readonly ConcurrentDictionary<int, DecryptedBlob> _buffered = new();
    private readonly TaskCompletionSource<StreamDescriptor> _descriptor = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _descriptorGate = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private CancellationTokenSource? _run;
    private Exception? _fatal;
    private long _bytesReceived;
    private long _bytesWritten;
    private int _writerNext;
    private byte[]? _key;
    private bool[] _storedThisRun = [];
    private int _lastPlaintext = -1;
    private long[] _plainOffsets = [];
    private bool _storeBlobs;
    private StreamOutputFile? _output;
    private string? _writtenPath;
    private int _resumedBlobs;
    private long _lastBlobAt;
    private StreamDownloadState _state = StreamDownloadState.Queued;
    private string? _error;

    public StreamDownload(
        BlobHash sdHash,
        LbryStorage storage,
        IBlobPeerConnector connector,
        IStreamPeerFinder? finder,
        string downloadDirectory,
        StreamDownloadOptions? options = null,
        TimeProvider? time = null)
    {
        SdHash = sdHash;
        _storage = storage ?? throw new ArgumentNullException(nameof(storage));
        _connector = connector ?? throw new ArgumentNullException(nameof(connector));
        _finder = finder;
        _downloadDirectory = downloadDirectory ?? throw new ArgumentNullException(nameof(downloadDirectory));
        _options = options ?? new StreamDownloadOptions();
        _time = time ?? TimeProvider.System;
        _scheduler = new BlobScheduler(sdHash, _options);
        _storeBlobs = _options.KeepDataBlobs || !_options.WriteFile;
    }

    /// <summary>
    /// Whether blobs the writer took from memory went only into the file (<see cref="StreamDownloadOptions.KeepDataBlobs"/>
    /// off): a reader finds a blob missing from the store in the file once written (<see cref="ReadWrittenAsync"/>).
    /// </summary>
    public bool WritesWithoutBlobs => !Volatile.Read(ref _storeBlobs);

    /// <summary>How many times a connection waited for the writer's window rather than fetch past it (tests).</summary>
    internal long HeldBackPicks => _scheduler.HeldBackPicks;

    /// <summary>Data blobs found whole in the partial file a stopped or killed run left, and not fetched again.</summary>
    public int ResumedBlobs => _resumedBlobs;

    public BlobHash SdHash { get; }

    /// <summary>The descriptor, once fetched and validated.</summary>
    public StreamDescriptor? Descriptor => _descriptor.Task.IsCompletedSuccessfully ? _descriptor.Task.Result : null;

    /// <summary>The file's final path once complete.</summary>
    public string? OutputPath { get; private set; }

    /// <summary>The complete file as this download wrote it, every byte from a blob whose hash was checked.</summary>
    public FileStamp OutputStamp { get; private set; } = FileStamp.Unknown;

    public StreamDownloadProgress Progress
    {
        get
        {
            var (blobsHave, blobsTotal, bytesHave, bytesTotal) = _scheduler.Counts();
            var (known, active) = _scheduler.PeerCounts();
            return new StreamDownloadProgress(
                _state,
                blobsTotal,
                blobsHave,
                bytesTotal,
                bytesHave,
                Interlocked.Read(ref _bytesReceived),
                Interlocked.Read(ref _bytesWritten),
                known,
                active,
                _error);
        }
    }

    /// <summary>The blob-exchange peers the download knows (dropped ones excluded), for a peer list.</summary>
    public IReadOnlyList<StreamPeerInfo> Peers => _scheduler.Peers();

    /// <summary>Adds peers to ask (fixed peers, a .smartshare file's contacts); the running download uses them at once.</summary>
    public void AddPeers(IEnumerable<IPEndPoint> peers)
    {
        ArgumentNullException.ThrowIfNull(peers);
        foreach (var peer in peers)
        {
            _scheduler.AddPeer(peer);
        }

        Pulse();
    }

    /// <summary>Waits until the descriptor is known (fetched, or found in the store).</summary>
    public Task<StreamDescriptor> WaitForDescriptorAsync(CancellationToken cancellationToken) =>
        _descriptor.Task.WaitAsync(cancellationToken);

    /// <summary>
    /// Whether this run received data blob <paramref name="index"/>, checked its hash and stored it: a streaming
    /// reader need not hash it again (the in-order writer does not either).
    /// </summary>
    public bool VerifiedThisRun(int index)
    {
        var stored = _storedThisRun;
        return index >= 0 && index < stored.Length && Volatile.Read(ref stored[index]);
    }

    /// <summary>Asks for data blobs first..last before any other (a streaming reader will want them soon).</summary>
    public void Prioritize(int first, int last)
    {
        _scheduler.Prioritize(first, last);
        Pulse();
    }

    /// <summary>
    /// Waits until data blobs <paramref name="first"/>..<paramref name="last"/> are in the store, asking for them
    /// before any other. For streaming reads while the download runs.
    /// </summary>
    public async Task WaitForBlobsAsync(int first, int last, CancellationToken cancellationToken)
    {
        var descriptor = await WaitForDescriptorAsync(cancellationToken);
        ArgumentOutOfRangeException.ThrowIfNegative(first);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(last, descriptor.DataBlobCount);
        Prioritize(first, last);
        for (var i = first; i <= last; i++)
        {
            var index = i;
            await WaitUntilAsync(() => _scheduler.IsHave(index), index, cancellationToken);
        }
    }

    /// <summary>
    /// The plaintext length of the stream's last data blob as soon as this run has received it, hash checked, and
    /// before it is stored: a streaming reader needs the stream's length before anything else, and the store's flush
    /// need not delay it. Null when the blob is held some other way (in the store before this run, or in the partial
    /// file), where the reader reads it.
    /// </summary>
    public async Task<int?> WaitForLastPlaintextLengthAsync(CancellationToken cancellationToken)
    {
        var descriptor = await WaitForDescriptorAsync(cancellationToken);
        var last = descriptor.DataBlobCount - 1;
        Prioritize(last, last);
        await WaitUntilAsync(() => Volatile.Read(ref _lastPlaintext) >= 0 || _scheduler.IsHave(last), last, cancellationToken);
        var known = Volatile.Read(ref _lastPlaintext);
        return known >= 0 ? known : null;
    }

    // Waits for a change until ready() holds; throws once the download has failed or stopped (blob: what was waited for).
    private async Task WaitUntilAsync(Func<bool> ready, int blob, CancellationToken cancellationToken)
    {
        for (var changed = ChangeSignal(); !ready(); changed = ChangeSignal())
        {
            if (_state is StreamDownloadState.Failed or StreamDownloadState.Stopped)
            {
                throw new StreamDownloadException(_error ?? $"The download of {SdHash} stopped before blob {blob} arrived.");
            }

            await WaitForChangeAsync(changed, IdlePoll, cancellationToken);
        }
    }

    /// <summary>Runs the download to the end and returns the output file's path (null when not writing a file).</summary>
    public async Task<string?> RunAsync(CancellationToken cancellationToken)
    {
        if (_run is not null)
        {
            throw new InvalidOperationException($"The download of {SdHash} is already running or has run.");
        }

        using var run = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _run = run;
        var workers = new List<Task>();
        try
        {
            _lastBlobAt = _time.GetTimestamp();
            var stored = TryReadStoredDescriptor();
            _state = stored is null ? StreamDownloadState.FetchingDescriptor : StreamDownloadState.Downloading;
            if (_finder is not null)
            {
                workers.Add(SearchPeersAsync(run.Token));
            }

            for (var i = 0; i < _options.MaxConnections; i++)
            {
                workers.Add(WorkerAsync(run.Token));
            }

            var descriptor = stored ?? await AwaitDescriptorAsync(run.Token);
            _state = StreamDownloadState.Downloading;
            Pulse();
            string? path = null;
            if (_options.WriteFile)
            {
                path = await WriteFileAsync(descriptor, run.Token);
            }
            else
            {
                await WaitAllBlobsAsync(run.Token);
            }

            _storage.Streams.Add(SdHash, descriptor, path);
            OutputPath = path;
            _state = StreamDownloadState.Completed;
            return path;
        }
        catch (Exception ex)
        {
            var reason = _fatal ?? ex;
            var cancelled = reason is OperationCanceledException && cancellationToken.IsCancellationRequested;
            _state = cancelled ? StreamDownloadState.Stopped : StreamDownloadState.Failed;
            _error = cancelled ? "Stopped before it was complete; the blobs fetched so far are kept." : reason.Message;
            _descriptor.TrySetException(cancelled ? new OperationCanceledException(cancellationToken) : reason);
            if (reason != ex)
            {
                throw reason;
            }

            throw;
        }
        finally
        {
            await run.CancelAsync();
            Pulse();
            await Task.WhenAll(workers.Select(worker => worker.ContinueWith(_ => { }, TaskScheduler.Default)));

            // Opened for a resume but never reached by the writer (the run ended first): kept for the next run.
            _output?.Dispose();
            foreach (var index in _buffered.Keys)
            {
                if (_buffered.TryRemove(index, out var blob))
                {
                    Release(blob);
                }
            }
        }
    }

    private StreamDescriptor? TryReadStoredDescriptor()
    {
        if (_storage.Blobs.TryGetLength(SdHash) is null)
        {
            return null;
        }

        var descriptor = ParseDescriptor(_storage.Blobs.ReadAllVerified(SdHash));
        UseDescriptor(descriptor);
        return descriptor;
    }

    private StreamDescriptor ParseDescriptor(ReadOnlySpan<byte> sdBlob)
    {
        try
        {
            return StreamDescriptorCodec.Parse(sdBlob.ToArray(), SdHash.ToString());
        }
        catch (LbryDataException ex)
        {
            throw new StreamDownloadException($"The descriptor (sd blob) {SdHash} is not a valid stream descriptor: {ex.Message}", ex);
        }
    }

    private void UseDescriptor(StreamDescriptor descriptor)
    {
        lock (_descriptorGate)
        {
            if (_descriptor.Task.IsCompleted)
            {
                return;
            }

            _key = Convert.FromHexString(descriptor.Key);
            _storedThisRun = new bool[descriptor.DataBlobCount];
            _plainOffsets = new long[descriptor.DataBlobCount + 1];
            if (!_storeBlobs && !PartialFileCheck.HasStandardLayout(descriptor))
            {
                // Not laid out as lbry-sdk lays streams: the node could not serve it from its file, so it keeps the blobs.
                Volatile.Write(ref _storeBlobs, true);
            }

            var resumed = _storeBlobs ? 0 : ResumePartialFile(descriptor);
            MoveHorizon(resumed);

            _scheduler.SetDescriptor(descriptor, blob => blob.BlobNum < resumed || _storage.Blobs.TryGetLength(blob.BlobHash!.Value) == blob.Length);
            _descriptor.TrySetResult(descriptor);
        }
    }

    private async Task<StreamDescriptor> AwaitDescriptorAsync(CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        for (var changed = ChangeSignal(); !_descriptor.Task.IsCompleted; changed = ChangeSignal())
        {
            ThrowIfFatal();
            var waited = _time.GetElapsedTime(started);
            if (waited >= _options.DescriptorTimeout)
            {
                throw new StreamDownloadException(DescriptorTimeoutMessage());
            }

            await WaitForChangeAsync(changed, Min(IdlePoll, _options.DescriptorTimeout - waited), cancellationToken);
        }

        return await _descriptor.Task;
    }

    private string DescriptorTimeoutMessage()
    {
        var peers = _scheduler.PeerCount;
        var errors = _scheduler.PeerErrors();
        var detail = errors.Count > 0 ? $" The last peer error: {errors[^1]}" : string.Empty;
        return peers == 0
            ? $"No peer was found for {SdHash} within {_options.DescriptorTimeout.TotalSeconds:0} s: nobody announced it in the DHT and no peer was given. Check the hash, --bootstrap, or give the creator's address."
            : $"None of the {peers} peers found for {SdHash} sent its descriptor (sd blob) within {_options.DescriptorTimeout.TotalSeconds:0} s.{detail}";
    }

    private async Task WaitAllBlobsAsync(CancellationToken cancellationToken)
    {
        for (var changed = ChangeSignal(); !_scheduler.IsComplete; changed = ChangeSignal())
        {
            ThrowIfFatal();
            ThrowIfStalled();
            await WaitForChangeAsync(changed, IdlePoll, cancellationToken);
        }
    }

    private async Task WaitForBlobAsync(int index, CancellationToken cancellationToken)
    {
        for (var changed = ChangeSignal(); !_scheduler.IsHave(index); changed = ChangeSignal())
        {
            ThrowIfFatal();
            ThrowIfStalled();
            await WaitForChangeAsync(changed, IdlePoll, cancellationToken);
        }
    }

    private void ThrowIfStalled()
    {
        if (_time.GetElapsedTime(Interlocked.Read(ref _lastBlobAt)) < _options.StallTimeout)
        {
            return;
        }

        var (have, total, _, _) = _scheduler.Counts();
        var errors = _scheduler.PeerErrors();
        var detail = errors.Count > 0 ? $" The last peer error: {errors[^1]}" : string.Empty;
        throw new StreamDownloadException(
            $"No peer sent a blob of {SdHash} for {_options.StallTimeout.TotalSeconds:0} s; {total - have} of {total} blobs are still missing " +
            $"({_scheduler.PeerCount} peers tried). The blobs fetched so far are kept: run the download again to resume.{detail}");
    }

    private void ThrowIfFatal()
    {
        if (_fatal is not null)
        {
            throw _fatal;
        }
    }

    private async Task SearchPeersAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                var found = await _finder!.FindPeersAsync(SdHash, cancellationToken);
                AddPeers(found);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // A failed lookup is retried on the next round; the download goes on with the peers it has.
            }

            try
            {
                // With no peer yet, ask again soon: the DHT may have been joining, or the seeder announcing.
                var interval = _scheduler.PeerCount == 0 ? Min(NoPeerSearchInterval, _options.PeerSearchInterval) : _options.PeerSearchInterval;
                await Task.Delay(interval, _time, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    // Only the writer's window is fetched ahead of it, while the download keeps no data blobs: a blob beyond the window
    // would be written to the store and read back.
    private void MoveHorizon(int writerNext)
    {
        if (!Volatile.Read(ref _storeBlobs))
        {
            _scheduler.SetHorizon(writerNext + _options.MaxBufferedBlobs);
        }
    }

    private void Store(ReceivedBlob blob)
    {
        using var batch = _storage.Blobs.BeginBatch();
        if (batch.AddReceived(blob))
        {
            batch.Commit();
        }
    }

    private void Pulse() =>
        Interlocked.Exchange(ref _changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    // The signal the next Pulse completes. A waiter takes it before it looks at what it waits for, so a change made in
    // between completes the signal it then waits on instead of being missed (which cost a whole IdlePoll).
    private Task ChangeSignal() => Volatile.Read(ref _changed).Task;

    private Task WaitForChangeAsync(TimeSpan atMost, CancellationToken cancellationToken) => WaitForChangeAsync(ChangeSignal(), atMost, cancellationToken);

    private async Task WaitForChangeAsync(Task changed, TimeSpan atMost, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var delay = Task.Delay(atMost > TimeSpan.Zero ? atMost : TimeSpan.Zero, _time, stop.Token);
        await Task.WhenAny(changed, delay);
        await stop.CancelAsync();
        cancellationToken.ThrowIfCancellationRequested();
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    /// <summary>A received blob decrypted in place: its buffer now holds <see cref="PlainLength"/> plaintext bytes.</summary>
    // A data blob's plaintext in the writer's memory, placed so the file's whole blocks go to disk straight from it.
    private sealed record DecryptedBlob(DirectWriteBuffer Plain);
}
