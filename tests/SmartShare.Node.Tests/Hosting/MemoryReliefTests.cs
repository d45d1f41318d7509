using SmartShare.Node.Hosting;

namespace SmartShare.Node.Tests.Hosting;

public sealed class MemoryReliefTests
{
    private const long MiB = 1024 * 1024;

    [Fact]
    public void Relieves_when_the_gc_holds_more_than_the_threshold_beyond_the_live_heap()
    {
        // 250 MiB committed for a 60 MiB heap (the state a 100,000-file torrent's add left): relieve.
        Assert.True(MemoryRelief.ShouldRelieve(index: 7, previousLook: 7, lastRelief: -1, 0, committed: 250 * MiB, heapSize: 60 * MiB, fragmented: 0));

        // Free space inside the heap counts as well.
        Assert.True(MemoryRelief.ShouldRelieve(7, 7, -1, 0, committed: 100 * MiB, heapSize: 90 * MiB, fragmented: 40 * MiB));
    }

    [Fact]
    public void Leaves_a_lean_heap_alone_and_never_repeats_itself_without_a_collection_in_between()
    {
        Assert.False(MemoryRelief.ShouldRelieve(7, 7, -1, 0, committed: 80 * MiB, heapSize: 60 * MiB, fragmented: 0));

        // No collection yet at all.
        Assert.False(MemoryRelief.ShouldRelieve(0, 0, -1, 0, committed: 500 * MiB, heapSize: 60 * MiB, fragmented: 0));

        // The last collection is the relief's own: what it could not give back stays, and a quiet node is not
        // collected again every tick.
        Assert.False(MemoryRelief.ShouldRelieve(9, 9, lastRelief: 9, 0, committed: 500 * MiB, heapSize: 60 * MiB, fragmented: 0));
        Assert.True(MemoryRelief.ShouldRelieve(10, 10, lastRelief: 9, 0, committed: 500 * MiB, heapSize: 60 * MiB, fragmented: 0));
    }

    [Fact]
    public void Waits_for_a_short_burst_to_end_and_relieves_a_long_one_every_interval()
    {
        // Collections since the previous look (pages of a long list read one after another): a relief now would hold
        // up the next answer for its whole blocking collection, and the burst would fill the heap again.
        Assert.False(MemoryRelief.ShouldRelieve(12, previousLook: 11, lastRelief: 3, 0, committed: 500 * MiB, heapSize: 60 * MiB, fragmented: 0));
        Assert.False(MemoryRelief.ShouldRelieve(12, previousLook: -1, lastRelief: -1, 0, committed: 500 * MiB, heapSize: 60 * MiB, fragmented: 0));

        // None since: the burst is over.
        Assert.True(MemoryRelief.ShouldRelieve(12, previousLook: 12, lastRelief: 3, 0, committed: 500 * MiB, heapSize: 60 * MiB, fragmented: 0));

        // A burst that goes on (the web UI's live feed) is relieved once it has lasted an interval, or its memory would only grow.
        Assert.False(MemoryRelief.ShouldRelieve(12, previousLook: 11, lastRelief: 3, MemoryRelief.LooksPerInterval - 1, committed: 500 * MiB, heapSize: 60 * MiB, fragmented: 0));
        Assert.True(MemoryRelief.ShouldRelieve(12, previousLook: 11, lastRelief: 3, MemoryRelief.LooksPerInterval, committed: 500 * MiB, heapSize: 60 * MiB, fragmented: 0));
    }
}
