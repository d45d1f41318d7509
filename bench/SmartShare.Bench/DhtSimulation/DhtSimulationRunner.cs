using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Runtime;
using SmartShare.Kademlia;
using SmartShare.Testing;

namespace SmartShare.Bench.DhtSimulation;

/// <summary>
/// The DHT benchmark: an N-node LBRY-style network (48-byte ids, K = 8, α = 5) on the in-memory
/// network in virtual time, one seed, one thread. Every node joins through node 0, then all refresh once, then
/// random nodes announce random keys; each key is then looked up from a random live node at 0 %, 10 % and 30 %
/// of the nodes killed. Kills are cumulative on one network (10 % more, then 20 % more; node 0 is never
/// killed) and the lookups follow the kills at once, with no refresh in between: the stale-table worst case.
/// </summary>
internal static class DhtSimulationRunner
{
    private const int IdLength = 48;
    private const int BucketSize = 8;
    private const int Parallelism = 5;
    private const double SuccessTarget = 0.999;
    private const double IdleMemoryTargetKiB = 64;
    private static readonly double[] ChurnLevels = [0.0, 0.10, 0.30];

    public static int Run(IReadOnlyList<string> args)
    {
        var settings = DhtSimulationSettings.Parse(args, out var error);
        if (settings is null)
        {
            Console.Error.WriteLine(error);
            return error == DhtSimulationSettings.Usage ? 0 : 2;
        }

        Run(settings);
        return 0;
    }

    private static void Run(DhtSimulationSettings settings)
    {
        var n = settings.Nodes;
        var wall = Stopwatch.StartNew();
        var phases = new List<Phase>();
        var phaseWall = Stopwatch.StartNew();
        var phaseCpu = CpuTime();
        var phaseGcPause = GC.GetTotalPauseDuration();
        var phaseGen2 = GC.CollectionCount(2);
        long phaseRequests = 0;
        InMemoryNetwork? network = null;
        void EndPhase(string name)
        {
            var cpu = CpuTime();
            var gcPause = GC.GetTotalPauseDuration();
            var gen2 = GC.CollectionCount(2);
            var requests = network?.RequestsSent ?? 0;
            var phase = new Phase(name, phaseWall.Elapsed, cpu - phaseCpu, gcPause - phaseGcPause, gen2 - phaseGen2, requests - phaseRequests);
            phases.Add(phase);
            Progress(phase.ToString());
            phaseWall.Restart();
            (phaseCpu, phaseGcPause, phaseGen2, phaseRequests) = (cpu, gcPause, gen2, requests);
        }

        var options = new KademliaNodeOptions
        {
            BucketSize = BucketSize,
            Parallelism = Parallelism,

            // As in lbry-sdk's own tests and ours: a short ping-back instead of 300 s, joins are 2 virtual s apart.
            RequesterPingBackDelay = TimeSpan.FromSeconds(1),
        };
        var clock = new ManualTimeProvider();
        var random = new DeterministicRandomSource(settings.Seed);
        network = new InMemoryNetwork(clock, settings.Seed + 1);
        var nodes = new List<KademliaNode>(n);
        var endPoints = new List<IPEndPoint>(n);

        var baseline = SettledHeapBytes();

        // --- Join: node 0 is the bootstrap; everyone else joins through it.
        for (var i = 0; i < n; i++)
        {
            var endPoint = new IPEndPoint(new IPAddress([10, (byte)(i >> 16), (byte)(i >> 8), (byte)i]), 4444);
            var node = new KademliaNode(NodeId.Random(IdLength, random), network.Connect(endPoint), clock, random, options);
            network.Listen(endPoint, node);
            nodes.Add(node);
            endPoints.Add(endPoint);
            if (i > 0)
            {
                if (!VirtualTime.Run(clock, () => node.JoinAsync([endPoints[0]], CancellationToken.None)))
                {
                    throw new InvalidOperationException($"Node {i} could not join.");
                }

                // Let the ping-backs bring the newcomer into the tables of the nodes it asked.
                VirtualTime.Advance(clock, TimeSpan.FromSeconds(2));
            }

            if ((i + 1) % 1000 == 0)
            {
                Progress($"joined {i + 1}/{n} ({phaseWall.Elapsed.TotalSeconds:F1} s)");
            }
        }

        EndPhase("join");

        // --- One round of the hourly bucket refresh, as a network up for an hour has had.
        VirtualTime.Advance(clock, TimeSpan.FromMinutes(30));
        for (var i = 0; i < n; i++)
        {
            var node = nodes[i];
            VirtualTime.Run(clock, () => node.RefreshAsync(CancellationToken.None));
            if ((i + 1) % 1000 == 0)
            {
                Progress($"refreshed {i + 1}/{n} ({phaseWall.Elapsed.TotalSeconds:F1} s)");
            }
        }

        VirtualTime.Advance(clock, TimeSpan.FromSeconds(2));
        EndPhase("refresh");

        var idleBytes = SettledHeapBytes() - baseline;
        var meanTable = nodes.Average(node => node.RoutingTable.Count);
        var pendingTimers = clock.PendingCount;
        EndPhase("memory (idle)");

        // --- Announce: random keys from random nodes; each announcer's peer value is unique to its key.
        var keys = new List<AnnouncedKey>(settings.Keys);
        var accepted = new List<int>(settings.Keys);
        for (var k = 0; k < settings.Keys; k++)
        {
            var key = NodeId.Random(IdLength, random);
            var announcer = random.NextInt(n);
            var value = BitConverter.GetBytes(k);
            accepted.Add(VirtualTime.Run(clock, () => nodes[announcer].AnnounceAsync(key, value, CancellationToken.None)));
            keys.Add(new AnnouncedKey(key, value, announcer));
        }

        EndPhase("announce");
        var announcedBytes = SettledHeapBytes() - baseline;
        EndPhase("memory (announced)");

        // --- Lookups at each churn level, killing more nodes (never node 0) before each.
        var dead = new bool[n];
        var deadCount = 0;
        var levels = new List<LevelResult>();
        foreach (var churn in ChurnLevels)
        {
            var targetDead = (int)Math.Round(churn * n);
            while (deadCount < targetDead)
            {
                var victim = 1 + random.NextInt(n - 1);
                if (!dead[victim])
                {
                    dead[victim] = true;
                    deadCount++;
                    network.Kill(endPoints[victim]);
                    nodes[victim].Dispose();
                }
            }

            levels.Add(LookUpAll(clock, random, nodes, dead, keys, churn, deadCount));
            EndPhase(string.Create(CultureInfo.InvariantCulture, $"lookups at {ChurnLabel(churn)} churn"));
        }

        wall.Stop();
        PrintReport(settings, levels, idleBytes, announcedBytes, meanTable, pendingTimers, accepted, phases, network, clock, wall.Elapsed);
        GC.KeepAlive(nodes);
    }

    private static LevelResult LookUpAll(
        ManualTimeProvider clock,
        DeterministicRandomSource random,
        List<KademliaNode> nodes,
        bool[] dead,
        List<AnnouncedKey> keys,
        double churn,
        int deadCount)
    {
        var requests = new List<int>(keys.Count);
        var found = 0;
        var announcerDead = 0;
        var foundWithAnnouncerDead = 0;
        var cpuBefore = CpuTime();
        foreach (var (key, value, announcer) in keys)
        {
            int searcher;
            do
            {
                searcher = random.NextInt(nodes.Count);
            }
            while (searcher == announcer || dead[searcher]);

            var result = VirtualTime.Run(clock, () => nodes[searcher].FindPeersAsync(key, CancellationToken.None));
            requests.Add(result.RequestsSent);
            var hit = result.Peers.Any(peer => peer.Span.SequenceEqual(value));
            found += hit ? 1 : 0;
            if (dead[announcer])
            {
                announcerDead++;
                foundWithAnnouncerDead += hit ? 1 : 0;
            }
        }

        var cpu = CpuTime() - cpuBefore;
        requests.Sort();
        return new LevelResult(
            churn, deadCount, keys.Count, found, announcerDead, foundWithAnnouncerDead,
            Percentile(requests, 0.5), Percentile(requests, 0.99), requests[^1], requests.Average(),
            cpu.TotalMilliseconds / keys.Count);
    }

    private static void PrintReport(
        DhtSimulationSettings settings,
        List<LevelResult> levels,
        long idleBytes,
        long announcedBytes,
        double meanTable,
        int pendingTimers,
        List<int> accepted,
        List<Phase> phases,
        InMemoryNetwork network,
        ManualTimeProvider clock,
        TimeSpan wall)
    {
        var n = settings.Nodes;
        var requestTarget = 2 * Math.Log2(n);
        var idleKiB = idleBytes / 1024.0 / n;
        var announcedKiB = announcedBytes / 1024.0 / n;
        var inv = CultureInfo.InvariantCulture;
        string Verdict(bool pass) => pass ? "PASS" : "FAIL";
        var sortedAccepted = accepted.Order().ToList();

        var lines = new List<string>
        {
            string.Empty,
            "== DHT simulation (SmartShare.Kademlia, in-memory network, virtual time, one thread)",
            string.Create(inv, $"nodes N = {n}, keys = {settings.Keys}, seed = {settings.Seed}, ids {IdLength} bytes, K = {BucketSize}, alpha = {Parallelism}, ping-back 1 s, latency 20-50 ms one way, timeout 5 s, no loss"),
            "churn = share of nodes killed (cumulative on one network, node 0 kept), lookups right after the kills, no refresh",
            string.Create(inv, $"mean routing table size after join + refresh: {meanTable:F1}; stores accepted per announce: median {Percentile(sortedAccepted, 0.5)}, min {sortedAccepted[0]}"),
            string.Empty,
            string.Format(inv, "{0,-7} {1,7} {2,-22} {3,10} {4,10} {5,10} {6,10} {7,12}  {8}", "churn", "dead", "found / lookups", "success %", "median req", "p99 req", "max req", "CPU ms/lookup", "announcer dead: found"),
        };
        foreach (var level in levels)
        {
            lines.Add(string.Format(
                inv,
                "{0,-7} {1,7} {2,-22} {3,10:F2} {4,10} {5,10} {6,10} {7,12:F3}  {8} / {9}",
                ChurnLabel(level.Churn),
                level.Dead,
                $"{level.Found} / {level.Lookups}",
                100.0 * level.Found / level.Lookups,
                level.MedianRequests,
                level.P99Requests,
                level.MaxRequests,
                level.CpuMsPerLookup,
                level.FoundWithAnnouncerDead,
                level.AnnouncerDead));
        }

        var tenPercent = levels.Single(level => level.Churn == 0.10);
        var successRate = (double)tenPercent.Found / tenPercent.Lookups;
        var worstMedian = levels.Max(level => level.MedianRequests);
        lines.Add(string.Empty);
        lines.Add(string.Format(inv, "{0,-52} {1,12} {2,14}  {3}", "target", "measured", "limit", "verdict"));
        lines.Add(string.Format(inv, "{0,-52} {1,12:F2} {2,14}  {3}", "lookup success at 10% churn (%)", 100 * successRate, ">= 99.9", Verdict(successRate >= SuccessTarget)));
        foreach (var level in levels)
        {
            lines.Add(string.Format(
                inv,
                "{0,-52} {1,12} {2,14}  {3}",
                $"median requests per lookup at {ChurnLabel(level.Churn)} churn",
                level.MedianRequests,
                string.Create(inv, $"<= {requestTarget:F2}"),
                Verdict(level.MedianRequests <= requestTarget)));
        }

        lines.Add(string.Format(inv, "{0,-52} {1,12:F1} {2,14}  {3}", "memory per idle node (KiB, after join + refresh)", idleKiB, "< 64", Verdict(idleKiB < IdleMemoryTargetKiB)));
        lines.Add(string.Format(inv, "{0,-52} {1,12:F1} {2,14}  {3}", $"memory per node with {settings.Keys} keys stored (KiB)", announcedKiB, "(no target)", string.Empty));
        lines.Add(string.Create(inv, $"2*log2(N) = {requestTarget:F2}; worst median {worstMedian}. Memory = managed heap after two compacting gen-2 GCs, minus the same before any node, / N; it includes the shared clock's {pendingTimers} queued timer entries."));
        lines.Add(string.Create(inv, $"requests on the network: {network.RequestsSent}; virtual time simulated: {clock.GetUtcNow() - new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero):g}"));
        lines.Add("phases:");
        lines.AddRange(phases.Select(phase => "  " + phase));
        lines.Add(string.Create(inv, $"total wall time: {wall.TotalSeconds:F1} s ({Environment.ProcessorCount} cores, server GC {GCSettings.IsServerGC})"));
        foreach (var line in lines)
        {
            Console.WriteLine(line);
        }
    }

    private static string ChurnLabel(double churn) => string.Create(CultureInfo.InvariantCulture, $"{churn * 100:F0}%");

    private static long SettledHeapBytes()
    {
        for (var i = 0; i < 2; i++)
        {
            GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }

        return GC.GetTotalMemory(forceFullCollection: true);
    }

    private static TimeSpan CpuTime()
    {
        using var process = Process.GetCurrentProcess();
        return process.TotalProcessorTime;
    }

    private static int Percentile(List<int> sorted, double fraction) =>
        sorted[Math.Clamp((int)Math.Ceiling(fraction * sorted.Count) - 1, 0, sorted.Count - 1)];

    private static void Progress(string message) =>
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{DateTime.UtcNow:HH:mm:ss}] {message}"));

    private sealed record Phase(string Name, TimeSpan Wall, TimeSpan Cpu, TimeSpan GcPause, int Gen2Collections, long Requests)
    {
        public override string ToString() => string.Create(
            CultureInfo.InvariantCulture,
            $"{Name,-20} {Wall.TotalSeconds,7:F1} s wall {Cpu.TotalSeconds,7:F1} s CPU {GcPause.TotalSeconds,7:F1} s GC pause {Gen2Collections,5} gen-2 GCs {Requests,9} requests");
    }

    private readonly record struct AnnouncedKey(NodeId Key, byte[] Value, int Announcer);

    private sealed record LevelResult(
        double Churn,
        int Dead,
        int Lookups,
        int Found,
        int AnnouncerDead,
        int FoundWithAnnouncerDead,
        int MedianRequests,
        int P99Requests,
        int MaxRequests,
        double MeanRequests,
        double CpuMsPerLookup);
}
