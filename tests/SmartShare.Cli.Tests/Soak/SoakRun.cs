using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using SmartShare.Cli.Tests.Chaos;
using SmartShare.Cli.Tests.Support;

namespace SmartShare.Cli.Tests.Soak;

/// <summary>What a soak did and found.</summary>
internal sealed record SoakSummary(
    int Lifetimes, int HubVerified, int PeerVerified, int Refetches, int PeerJoins, int PeerLeaves, TimeSpan Elapsed, FlatnessReport Verdict, string CsvPath)
{
    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"{Lifetimes} node lifetimes, {HubVerified} downloads by the node and {PeerVerified} by peers complete and verified, {Refetches} refetches, {PeerJoins} peer joins, {PeerLeaves} leaves, {Elapsed.TotalSeconds:0} s; samples in {CsvPath}");
}

/// <summary>
/// The soak (issue 18 item 6): one node under test (the hub, a real <c>smartshare start</c> process on fixed ports)
/// holds the torrents and streams, half its own shares and half downloaded from peers. Peers (more node processes on
/// fixed ports and their own data) join and leave on a seeded schedule, gracefully or killed; each time one joins it
/// downloads a batch of the hub's shares. The hub keeps fetching: every few seconds it drops one of its completed
/// downloads and gets it again from the peers, so its list keeps its size while transfers never stop. The hub is
/// restarted every <see cref="SoakOptions.RestartEvery"/>, by SIGTERM and by SIGKILL in turn; its RSS, descriptors and
/// threads are sampled into a CSV. At the end every peer comes back, every transfer must complete and match its source,
/// and the samples must be flat in every lifetime (<see cref="FlatnessVerdict"/>).
/// </summary>
internal sealed partial class SoakRun : IAsyncDisposable
{
    private static readonly TimeSpan PollEvery = TimeSpan.FromSeconds(2);

    private readonly SoakOptions _options;
    private readonly Action<string> _log;
    private readonly Random _random;
    private readonly CliWorkspace _hubSpace = new();
    private readonly CliWorkspace[] _peerSpaces;
    private readonly (int Lbry, int Bt) _hubPorts;
    private readonly (int Lbry, int Bt)[] _peerPorts;
    private readonly ChaosNode?[] _peers;
    private readonly TimeSpan[] _peerNextChange;
    private readonly List<SoakItem> _items = [];
    private readonly List<ResourceSample> _samples = [];
    private readonly Stopwatch _clock = new();
    private readonly StreamWriter _csv;
    private readonly string _csvPath;
    private ChaosNode? _hub;
    private int _lifetime = 1;
    private int _hubVerified;
    private int _peerVerified;
    private int _refetches;
    private int _joins;
    private int _leaves;

    public SoakRun(SoakOptions options, Action<string> log)
    {
        _options = options;
        _log = log;
        _random = new Random(options.Seed);
        _peerSpaces = [.. Enumerable.Range(0, options.Peers).Select(_ => new CliWorkspace())];
        var ports = new HashSet<int>();
        _hubPorts = (FreshPort(ports), FreshPort(ports));
        _peerPorts = [.. Enumerable.Range(0, options.Peers).Select(_ => (FreshPort(ports), FreshPort(ports)))];
        _peers = new ChaosNode?[options.Peers];
        _peerNextChange = new TimeSpan[options.Peers];
        _csvPath = options.CsvPath ?? Path.Combine(_hubSpace.Root, "soak.csv");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(_csvPath))!);
        _csv = new StreamWriter(_csvPath) { AutoFlush = true };
        _csv.WriteLine(ResourceSample.CsvHeader + ",hub_complete,hub_items,peers_up");
    }

    public async Task<SoakSummary> RunAsync()
    {
        Log($"soak: {_options}");
        await SetUpAsync();
        _clock.Restart();
        var nextSample = TimeSpan.Zero;
        var nextRestart = _options.RestartEvery;
        var nextRefetch = _options.RefetchEvery;
        var nextPoll = PollEvery;
        var graceful = true;
        for (var i = 0; i < _peers.Length; i++)
        {
            _peerNextChange[i] = Between(_options.PeerUptime);
        }

        while (_clock.Elapsed < _options.Duration)
        {
            if (_clock.Elapsed >= nextSample)
            {
                await SampleAsync();
                nextSample += _options.SampleEvery;
            }

            if (_clock.Elapsed >= nextRestart)
            {
                await RestartHubAsync(graceful);
                graceful = !graceful;
                nextRestart += _options.RestartEvery;
            }

            for (var i = 0; i < _peers.Length; i++)
            {
                if (_clock.Elapsed >= _peerNextChange[i])
                {
                    var joining = _peers[i] is null;
                    await (joining ? JoinAsync(i) : LeaveAsync(i));
                    _peerNextChange[i] = _clock.Elapsed + Between(joining ? _options.PeerUptime : _options.PeerDowntime);
                }
            }

            if (_clock.Elapsed >= nextRefetch)
            {
                await RefetchAsync();
                nextRefetch = _clock.Elapsed + _options.RefetchEvery;
            }

            if (_clock.Elapsed >= nextPoll)
            {
                await PollAsync();
                nextPoll = _clock.Elapsed + PollEvery;
            }

            await Task.Delay(200);
        }

        await DrainAsync(() => nextSample, value => nextSample = value);
        await CheckEverythingAsync();
        var verdict = FlatnessVerdict.Judge(_samples);
        return new SoakSummary(_lifetime, _hubVerified, _peerVerified, _refetches, _joins, _leaves, _clock.Elapsed, verdict, _csvPath);
    }

    // Every peer back; then every transfer of the hub and of the peers must finish within the drain limit.
    private async Task DrainAsync(Func<TimeSpan> nextSample, Action<TimeSpan> setNextSample)
    {
        for (var i = 0; i < _peers.Length; i++)
        {
            if (_peers[i] is null)
            {
                await JoinAsync(i, fetch: false);
            }
        }

        Log($"draining: every peer is up; waiting up to {_options.DrainLimit.TotalSeconds:0} s for every transfer to finish");
        var deadline = _clock.Elapsed + _options.DrainLimit;
        while (true)
        {
            if (_clock.Elapsed >= nextSample())
            {
                await SampleAsync();
                setNextSample(nextSample() + _options.SampleEvery);
            }

            await PollAsync();
            var waiting = _items.Where(item => !item.HubVerified).Select(item => $"hub: {item.Name}")
                .Concat(_items.SelectMany(item => item.PeerPending.Select(peer => $"peer {peer}: {item.Name}"))).ToList();
            if (waiting.Count == 0)
            {
                return;
            }

            if (_clock.Elapsed >= deadline)
            {
                var states = await HubStatesAsync(_items.Where(item => !item.HubVerified));
                throw new Xunit.Sdk.XunitException(
                    $"soak: {waiting.Count} transfers did not finish within {_options.DrainLimit.TotalSeconds:0} s after every peer came back: {string.Join(", ", waiting.Take(10))}\nhub states: {states}\n{_hub!.Describe()}");
            }

            await Task.Delay(PollEvery);
        }
    }

    private async Task RestartHubAsync(bool graceful)
    {
        var started = _clock.Elapsed;
        if (graceful)
        {
            await _hub!.TerminateAsync();
        }
        else
        {
            await _hub!.KillAsync();
        }

        await _hub.DisposeAsync();
        _hub = await StartHubAsync();
        _lifetime++;

        // Nothing lost: every item is still listed (a refetch deletes and gets again in one step, never cut by a restart).
        var listed = (await _hub.TransfersAsync()).Select(Key).ToHashSet(StringComparer.Ordinal);
        var missing = _items.Where(item => !listed.Contains(item.Key)).Select(item => item.Name).ToList();
        Assert.True(missing.Count == 0, $"soak: after the {(graceful ? "graceful restart" : "kill")} the node no longer lists {string.Join(", ", missing)}");
        Log($"hub {(graceful ? "stopped (SIGTERM)" : "killed (SIGKILL)")} and restarted in {(_clock.Elapsed - started).TotalSeconds:0.0} s: lifetime {_lifetime}, all {_items.Count} transfers listed");
    }

    private async Task SampleAsync()
    {
        var sample = ResourceSample.Read(_hub!.ProcessId, _clock.Elapsed.TotalSeconds, _lifetime);
        if (sample is null)
        {
            return;
        }

        _samples.Add(sample);
        await _csv.WriteLineAsync(string.Create(
            CultureInfo.InvariantCulture, $"{sample.ToCsv()},{_items.Count(item => item.HubVerified)},{_items.Count},{_peers.Count(peer => peer is not null)}"));
    }

    private Task<ChaosNode> StartHubAsync() => ChaosNode.StartAsync(_hubSpace, lbryPort: _hubPorts.Lbry, btPort: _hubPorts.Bt, verbose: false);

    private Task<ChaosNode> StartPeerAsync(int peer) => ChaosNode.StartAsync(_peerSpaces[peer], lbryPort: _peerPorts[peer].Lbry, btPort: _peerPorts[peer].Bt, verbose: false);

    private TimeSpan Between((TimeSpan Least, TimeSpan Most) range) => range.Least + ((range.Most - range.Least) * _random.NextDouble());

    private void Log(string line) => _log(string.Create(CultureInfo.InvariantCulture, $"[{_clock.Elapsed.TotalSeconds,6:0.0} s] {line}"));

    private static int FreshPort(HashSet<int> taken)
    {
        while (true)
        {
            var port = CliWorkspace.UnusedPort();
            if (taken.Add(port))
            {
                return port;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_hub is not null)
        {
            await _hub.DisposeAsync();
        }

        foreach (var peer in _peers)
        {
            if (peer is not null)
            {
                await peer.DisposeAsync();
            }
        }

        await _csv.DisposeAsync();
        _hubSpace.Dispose();
        foreach (var space in _peerSpaces)
        {
            space.Dispose();
        }
    }
}
