using Microsoft.Extensions.Hosting;

namespace SmartShare.Node.Hosting;

/// <summary>
/// Gives memory back after a burst. The GC keeps the regions a burst used (adding a torrent of 100,000 files, or
/// listing all of them, allocates a few hundred MiB that are garbage a moment later) and returns them only as later
/// collections run, which a quiet node does not: its resident memory stayed at the burst's peak. Every
/// <see cref="Look"/> this looks at what the last collection left: once the burst is over (no collection since the
/// previous look) and the GC holds more than <see cref="WasteThreshold"/> beyond the live heap, it runs one aggressive
/// collection, which compacts and gives the free regions back to the system. Not while a short burst goes on (a client
/// reading page after page of a long list had an answer held up 100+ ms by a relief every 10 s, and the burst filled
/// the heap again at once); one that lasts longer than <see cref="Interval"/> (the web UI's live feed, which lists every
/// transfer each second) is relieved every <see cref="Interval"/>, or its memory would only grow. At most one relief
/// per <see cref="Interval"/>; a quiet node pays one look at a struct every <see cref="Look"/>.
/// </summary>
internal sealed class MemoryRelief(TimeProvider time) : IHostedService, IAsyncDisposable
{
    /// <summary>At most one relief per this much time.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    /// <summary>How often it looks.</summary>
    public static readonly TimeSpan Look = TimeSpan.FromSeconds(2);

    internal static readonly int LooksPerInterval = (int)(Interval / Look);

    /// <summary>Memory the GC may hold beyond the live heap before it is asked to give it back.</summary>
    public const long WasteThreshold = 48L * 1024 * 1024;

    private ITimer? _timer;
    private long _lastRelief = -1; // the index of the relief's own collection
    private long _lastLook = -1; // the index of the last collection at the previous look
    private int _looksSinceRelief = LooksPerInterval; // looks since the last relief (as many as an interval before the first)
    private int _busyLooks; // looks in a row that saw a new collection, since the last that saw none or the last relief

    /// <summary>Aggressive collections run so far.</summary>
    public int Reliefs { get; private set; }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _timer = time.CreateTimer(static state => ((MemoryRelief)state!).Tick(), this, Look, Look);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => DisposeAsync().AsTask();

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _timer, null) is { } timer)
        {
            await timer.DisposeAsync();
        }
    }

    /// <summary>One look: an aggressive collection when the GC holds too much beyond the live heap.</summary>
    internal bool Tick()
    {
        // Only after some collection of the program's own ran since the last relief: a quiet node that keeps what
        // the relief could not give back is never collected again and again.
        var info = GC.GetGCMemoryInfo(GCKind.Any);
        var previousLook = _lastLook;
        _lastLook = info.Index;
        _busyLooks = info.Index == previousLook ? 0 : _busyLooks + 1;
        _looksSinceRelief++;
        if (_looksSinceRelief < LooksPerInterval
            || !ShouldRelieve(info.Index, previousLook, _lastRelief, _busyLooks, info.TotalCommittedBytes, info.HeapSizeBytes, info.FragmentedBytes))
        {
            return false;
        }

        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        _lastRelief = _lastLook = GC.GetGCMemoryInfo(GCKind.Any).Index;
        _looksSinceRelief = _busyLooks = 0;
        Reliefs++;
        return true;
    }

    /// <summary>
    /// Whether the last collection (<paramref name="index"/>; 0 for none yet) left more than
    /// <see cref="WasteThreshold"/> committed beyond the live heap and it is not the relief's own; and either it was
    /// already the last at the previous look (<paramref name="previousLook"/>: none since, the burst is over) or
    /// collections have kept coming for <paramref name="busyLooks"/> looks in a row, an interval's worth.
    /// </summary>
    internal static bool ShouldRelieve(long index, long previousLook, long lastRelief, int busyLooks, long committed, long heapSize, long fragmented) =>
        index != 0 && index != lastRelief && committed - heapSize + fragmented >= WasteThreshold && (index == previousLook || busyLooks >= LooksPerInterval);

}
