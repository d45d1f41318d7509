using System.Text.Json.Nodes;
using SmartShare.Cli.Tests.Chaos;
using SmartShare.Cli.Tests.Support;

namespace SmartShare.Cli.Tests.Soak;

/// <summary>A file of the soak: who shares it first (the hub, or a peer), its key and link, and who holds it verified.</summary>
internal sealed class SoakItem(string name, bool torrent, int origin, string sha)
{
    public const int Hub = -1;

    public string Name { get; } = name;

    public bool Torrent { get; } = torrent;

    /// <summary><see cref="Hub"/>, or the peer that shared it first.</summary>
    public int Origin { get; } = origin;

    public string Sha { get; } = sha;

    public string Key { get; set; } = string.Empty;

    /// <summary>What a downloader passes to <c>get</c>: the .torrent file's path, or the stream's sd hash.</summary>
    public string Uri { get; set; } = string.Empty;

    /// <summary>The hub holds it complete and it matched its source (since its last refetch).</summary>
    public bool HubVerified { get; set; }

    /// <summary>Peers downloading it from the hub.</summary>
    public HashSet<int> PeerPending { get; } = [];

    /// <summary>Peers that downloaded it and matched it.</summary>
    public HashSet<int> PeerHeld { get; } = [];
}

internal sealed partial class SoakRun
{
    private const int SmallestFile = 16 * 1024;
    private const int LargestFile = 64 * 1024;

    // Every peer up, the files written, each shared by its origin; the hub gets every file a peer shared first.
    private async Task SetUpAsync()
    {
        for (var i = 0; i < _peers.Length; i++)
        {
            _peers[i] = await StartPeerAsync(i);
        }

        _hub = await StartHubAsync();
        var kinds = Enumerable.Repeat(true, _options.Torrents).Concat(Enumerable.Repeat(false, _options.Streams));
        var index = 0;
        foreach (var torrent in kinds)
        {
            var origin = index % 2 == 0 ? SoakItem.Hub : (index / 2) % _peers.Length;
            index++;
            var space = origin == SoakItem.Hub ? _hubSpace : _peerSpaces[origin];
            var name = $"{(torrent ? "torrent" : "stream")}-{index:D4}-{_random.Next():x8}.bin";
            var folder = Directory.CreateDirectory(Path.Combine(space.Root, "sources")).FullName;
            var source = Path.Combine(folder, name);
            var bytes = new byte[_random.Next(SmallestFile, LargestFile)];
            _random.NextBytes(bytes);
            await File.WriteAllBytesAsync(source, bytes);
            var item = new SoakItem(name, torrent, origin, CliWorkspace.Sha256Of(source));
            var node = origin == SoakItem.Hub ? _hub : _peers[origin]!;
            var shared = await node.CallAsync("stream_create", new JsonObject
            {
                ["file_path"] = source,
                ["torrent"] = torrent,
                ["torrent_path"] = torrent ? Path.Combine(Directory.CreateDirectory(Path.Combine(space.Root, "torrents")).FullName, name + ".torrent") : null,
            });
            item.Key = torrent ? (string)shared["info_hash"]! : (string)shared["sd_hash"]!;
            item.Uri = torrent ? (string)shared["torrent"]! : item.Key;
            item.HubVerified = origin == SoakItem.Hub;
            _items.Add(item);
        }

        foreach (var item in _items.Where(item => item.Origin != SoakItem.Hub))
        {
            await HubGetAsync(item);
        }

        Log($"set up: {_items.Count(item => item.Origin == SoakItem.Hub)} shares of the node, {_items.Count(item => item.Origin != SoakItem.Hub)} downloads from {_peers.Length} peers");
    }

    private async Task JoinAsync(int peer, bool fetch = true)
    {
        var node = _peers[peer] = await StartPeerAsync(peer);
        _joins++;
        if (!fetch)
        {
            Log($"peer {peer} back");
            return;
        }

        // It drops what it finished last time (its list stays bounded) and fetches a new batch of the hub's shares.
        foreach (var held in _items.Where(item => item.PeerHeld.Remove(peer)))
        {
            await node.Api.CallAsync("file_delete", new JsonObject { ["key"] = held.Key, ["delete_from_download_dir"] = true });
        }

        var batch = _items.Where(item => item.Origin == SoakItem.Hub && !item.PeerPending.Contains(peer))
            .OrderBy(_ => _random.Next()).Take(_options.PeerBatch).ToList();
        foreach (var item in batch)
        {
            var hub = $"127.0.0.1:{(item.Torrent ? _hubPorts.Bt : _hubPorts.Lbry)}";
            await node.CallAsync("get", new JsonObject { ["uri"] = item.Uri, ["peers"] = new JsonArray(hub), ["timeout"] = 30 });
            item.PeerPending.Add(peer);
        }

        Log($"peer {peer} joined: fetching {batch.Count} of the node's shares");
    }

    private async Task LeaveAsync(int peer)
    {
        var node = _peers[peer]!;
        var kill = _random.Next(2) == 0;
        await (kill ? node.KillAsync() : node.TerminateAsync());
        await node.DisposeAsync();
        _peers[peer] = null;
        _leaves++;
        Log($"peer {peer} left ({(kill ? "killed" : "stopped")}); {_items.Count(item => item.PeerPending.Contains(peer))} of its downloads unfinished");
    }

    // The hub drops a verified download whose first sharer is up, deleting the file, and gets it again.
    private async Task RefetchAsync()
    {
        var candidates = _items.Where(item => item.Origin != SoakItem.Hub && item.HubVerified && _peers[item.Origin] is not null).ToList();
        if (candidates.Count == 0)
        {
            return;
        }

        var item = candidates[_random.Next(candidates.Count)];
        await _hub!.Api.CallAsync("file_delete", new JsonObject { ["key"] = item.Key, ["delete_from_download_dir"] = true });
        item.HubVerified = false;
        await HubGetAsync(item);
        _refetches++;
    }

    private async Task HubGetAsync(SoakItem item)
    {
        var peers = new JsonArray([.. _peerPorts.Select(ports => (JsonNode)$"127.0.0.1:{(item.Torrent ? ports.Bt : ports.Lbry)}")]);
        await _hub!.CallAsync("get", new JsonObject { ["uri"] = item.Uri, ["peers"] = peers, ["timeout"] = 30 });
    }

    // Marks what finished, checking each file against its source as it does.
    private async Task PollAsync()
    {
        var listed = (await _hub!.TransfersAsync()).ToDictionary(Key, StringComparer.Ordinal);
        foreach (var item in _items.Where(item => !item.HubVerified))
        {
            if (listed.TryGetValue(item.Key, out var entry) && Complete(entry))
            {
                Verify(entry, item, "the node");
                item.HubVerified = true;
                _hubVerified++;
            }
        }

        for (var peer = 0; peer < _peers.Length; peer++)
        {
            if (_peers[peer] is not { } node || !_items.Any(item => item.PeerPending.Contains(peer)))
            {
                continue;
            }

            var held = (await node.TransfersAsync()).ToDictionary(Key, StringComparer.Ordinal);
            foreach (var item in _items.Where(item => item.PeerPending.Contains(peer)))
            {
                if (held.TryGetValue(item.Key, out var entry) && Complete(entry))
                {
                    Verify(entry, item, $"peer {peer}");
                    item.PeerPending.Remove(peer);
                    item.PeerHeld.Add(peer);
                    _peerVerified++;
                }
            }
        }
    }

    // At the end: every item listed by the hub, complete, and its file matching its source.
    private async Task CheckEverythingAsync()
    {
        var listed = (await _hub!.TransfersAsync()).ToDictionary(Key, StringComparer.Ordinal);
        foreach (var item in _items)
        {
            Assert.True(listed.TryGetValue(item.Key, out var entry), $"soak: the node no longer lists {item.Name}.");
            Assert.True(Complete(entry), $"soak: {item.Name} is not complete at the end: {entry.ToJsonString()}");
            Verify(entry, item, "the node (final check)");
        }

        Log($"final check: all {_items.Count} transfers listed, complete and matching their sources");
    }

    private static void Verify(JsonObject entry, SoakItem item, string holder)
    {
        var path = (string?)entry["download_path"];
        Assert.True(path is not null && File.Exists(path), $"soak: {holder} lists {item.Name} as complete but its file {path} is missing.");
        Assert.True(CliWorkspace.Sha256Of(path) == item.Sha, $"soak: {holder} lists {item.Name} as complete but {path} does not match its source.");
    }

    private async Task<string> HubStatesAsync(IEnumerable<SoakItem> items)
    {
        var listed = (await _hub!.TransfersAsync()).ToDictionary(Key, StringComparer.Ordinal);
        return string.Join("; ", items.Take(10).Select(item => listed.TryGetValue(item.Key, out var entry)
            ? $"{item.Name}: {(string?)entry["status"]} {entry["progress"]?.ToJsonString()}"
            : $"{item.Name}: not listed"));
    }

    private static string Key(JsonObject entry) => (string?)entry["info_hash"] ?? (string?)entry["sd_hash"] ?? (string?)entry["key"] ?? string.Empty;

    private static bool Complete(JsonObject entry) => (string?)entry["status"] is "completed" or "seeding" || (bool?)entry["completed"] == true;
}
