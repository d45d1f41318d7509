using System.Text.Json.Nodes;
using SmartShare.Interop.Tests.Clients;
using SmartShare.Node.Http;
using SmartShare.Node.Settings;

namespace SmartShare.Interop.Tests.Ours;

/// <summary>
/// Debian's real <c>transmission-remote</c> 3.00 drives our node through its Transmission RPC
/// (<c>/transmission/rpc/</c>): list, add a .torrent file and a magnet link, details, files, trackers, pieces,
/// stop, start, remove with and without the data, an LBRY stream among the torrents, and the API password as
/// <c>-n user:password</c>. Its printed output is parsed and checked.
/// </summary>
public sealed class TransmissionRemoteTests : IDisposable
{
    private const string Password = "remote control";

    private readonly InteropDirectory _directory = new();

    [Fact]
    public async Task Transmission_remote_adds_lists_details_stops_starts_and_removes_our_transfers()
    {
        await using var seeder = await OurNode.StartAsync(_directory.Folder("seeder"));
        await using var node = await OurNode.StartAsync(_directory.Folder("ours"));
        var remote = new Remote(node);
        Assert.Empty(ListRows(await remote.RunAsync("-l")));

        // A .torrent nobody seeds (its tracker at 127.0.0.1:1 refuses): listed, 0 %, waiting.
        var lonely = TestFiles.WriteRandom(Path.Combine(_directory.Folder("lonely"), "lonely.bin"), 200_000);
        var lonelyTorrent = await MkTorrent.CreateAsync(lonely, _directory.File("lonely.torrent"), "http://127.0.0.1:1/announce");
        Assert.Contains(await remote.RunAsync("-a", lonelyTorrent), line => line.Contains("responded: \"success\"", StringComparison.Ordinal));

        // A magnet whose x.pe names the seeder: fetched, downloaded, complete.
        var film = TestFiles.WriteRandom(Path.Combine(_directory.Folder("share"), "film.mkv"), (1 << 20) + 4_321);
        var shared = await seeder.ShareTorrentAsync(film, _directory.File("film.torrent"), advertise: ["127.0.0.1"]);
        await seeder.WaitForSeedingAsync(shared["info_hash"]!.GetValue<string>(), TimeSpan.FromSeconds(15));
        Assert.Contains(await remote.RunAsync("-a", shared["magnet"]!.GetValue<string>()), line => line.Contains("responded: \"success\"", StringComparison.Ordinal));

        List<ListRow> rows = [];
        await Waiting.UntilAsync(
            async () =>
            {
                rows = ListRows(await remote.RunAsync("-l"));
                // transmission-remote prints "Downloading" for any running torrent with a peer sending to it; the
                // seeder's connection lasts until the node, complete, drops it as a fellow seed.
                return rows.Any(row => row.Name == "film.mkv" && row.Done == "100%" && row.Eta == "Done" && row.Status is ("Idle" or "Seeding"));
            },
            "transmission-remote -l shows film.mkv done and no longer downloading",
            TimeSpan.FromSeconds(60),
            () => string.Join('\n', rows) + "\n" + node.Describe());
        Assert.Equal(["lonely.bin", "film.mkv"], rows.Select(row => row.Name));
        var (lonelyRow, filmRow) = (rows[0], rows[1]);
        Assert.Equal((1, "0%", "Idle"), (lonelyRow.Id, lonelyRow.Done, lonelyRow.Status));
        Assert.Equal("Unknown", lonelyRow.Eta);
        Assert.Equal((2, "Done"), (filmRow.Id, filmRow.Eta));
        TestFiles.AssertSameFile(film, Path.Combine(node.Downloads, "film.mkv"));

        // Details, files, trackers and pieces.
        var info = Fields(await remote.RunAsync("-t", "2", "-i"));
        Assert.Equal("film.mkv", info["Name"]);
        Assert.Equal(shared["info_hash"]!.GetValue<string>(), info["Hash"]);
        Assert.Equal("100%", info["Percent Done"]);
        Assert.Equal(node.Downloads, info["Location"]);
        Assert.StartsWith("magnet:?xt=urn:btih:", info["Magnet"], StringComparison.Ordinal);
        var files = await remote.RunAsync("-t", "2", "-f");
        Assert.Equal("film.mkv (1 files):", files[0]);
        Assert.Matches(@"^\s*0: 100% Normal\s+Yes\s+1\.05 MB\s+film\.mkv$", files[2]);
        var trackers = await remote.RunAsync("-t", "1", "-it");
        Assert.Contains("  Tracker 0: http://127.0.0.1:1", trackers);

        // The refusing tracker's last announce, as the node's trackers list has it, and the next one planned.
        await Waiting.UntilAsync(
            async () => (trackers = await remote.RunAsync("-t", "1", "-it")).Any(line => line.StartsWith("  Got an error \"", StringComparison.Ordinal)),
            "transmission-remote -it shows the tracker's error",
            TimeSpan.FromSeconds(20),
            () => string.Join('\n', trackers));
        Assert.Contains(trackers, line => line.StartsWith("  Asking for more peers in ", StringComparison.Ordinal));
        var pieces = (await remote.RunAsync("-t", "2", "-ic")).Where(line => line.Trim().Length > 0).ToList();
        Assert.NotEmpty(pieces);
        Assert.All(pieces, line => Assert.Matches("^[1 ]+$", line));

        // Stop and start.
        await remote.RunAsync("-t", "1", "-S");
        Assert.Equal("Stopped", ListRows(await remote.RunAsync("-l")).Single(row => row.Id == 1).Status);
        await remote.RunAsync("-t", "1", "-s");
        Assert.NotEqual("Stopped", ListRows(await remote.RunAsync("-l")).Single(row => row.Id == 1).Status);

        // Remove keeps the data; remove-and-delete does not. film.mkv added again (id 3) downloads beside the kept
        // file under a free name (the node never writes over a file), and -rad deletes exactly that one.
        await remote.RunAsync("-t", "1", "-rad");
        await remote.RunAsync("-t", "2", "-r");
        Assert.Empty(ListRows(await remote.RunAsync("-l")));
        TestFiles.AssertSameFile(film, Path.Combine(node.Downloads, "film.mkv"));
        var kept = Directory.GetFiles(node.Downloads).Order(StringComparer.Ordinal).ToList();
        await remote.RunAsync("-a", shared["magnet"]!.GetValue<string>());
        await Waiting.UntilAsync(
            async () => ListRows(await remote.RunAsync("-l")) is [{ Id: 3, Done: "100%", Eta: "Done" }],
            "film.mkv, added again as id 3, is downloaded again",
            TimeSpan.FromSeconds(60),
            () => node.Describe());
        var again = Directory.GetFiles(node.Downloads).Except(kept).Single();
        TestFiles.AssertSameFile(film, again);
        await remote.RunAsync("-t", "3", "-rad");
        Assert.Empty(ListRows(await remote.RunAsync("-l")));
        Assert.False(File.Exists(again), "-rad deletes the downloaded file");
        Assert.Equal(kept, Directory.GetFiles(node.Downloads).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task An_lbry_stream_with_its_96_digit_hash_is_listed_and_detailed_and_the_password_goes_as_basic_auth()
    {
        await using var node = await OurNode.StartAsync(
            _directory.Folder("ours"),
            flags => flags[NodeSettingKeys.ApiPasswordHash] = ApiPassword.Hash(Password, 100_000));
        var source = TestFiles.WriteRandom(Path.Combine(_directory.Folder("share"), "lecture.webm"), 300_000);
        using var client = new SmartShare.Node.Client.NodeApiClient(
            node.Host.ApiUri, timeout: TimeSpan.FromSeconds(30), authorization: SmartShare.Node.Client.NodeApiCredentials.Basic(Password));
        var sdHash = (await client.CallAsync("stream_create", new JsonObject { ["file_path"] = source }))!["sd_hash"]!.GetValue<string>();

        var refused = await new Remote(node).RunAsync(expectSuccess: false, "-l");
        Assert.Contains(refused, line => line.Contains("needs its password", StringComparison.Ordinal));

        var remote = new Remote(node, $"anyone:{Password}");
        var row = ListRows(await remote.RunAsync("-l")).Single();
        Assert.Equal((1, "100%", "lecture.webm"), (row.Id, row.Done, row.Name));
        Assert.Equal("300.0 kB", row.Have);
        var info = Fields(await remote.RunAsync("-t", "1", "-i"));
        Assert.Equal(sdHash, info["Hash"]);
        Assert.Equal(96, info["Hash"].Length);
        var files = await remote.RunAsync("-t", "1", "-f");
        Assert.Equal("lecture.webm (1 files):", files[0]);
        Assert.Matches(@"^\s*0: 100% Normal\s+Yes\s+300\.0 kB\s+lecture\.webm$", files[2]);
        var byHash = Fields(await remote.RunAsync("-t", sdHash, "-i"));
        Assert.Equal("lecture.webm", byHash["Name"]);

        var session = Fields(await remote.RunAsync("-si"));
        Assert.Equal("17", session["RPC version"]);
        Assert.Equal("14", session["RPC minimum version"]);
        Assert.StartsWith("3.00 (SmartShare ", session["Daemon version"], StringComparison.Ordinal);
        Assert.Equal(node.Downloads, session["Download directory"]);
        Assert.Equal(node.BitTorrentEndPoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), session["Listenport"]);
        var stats = await remote.RunAsync("-st");
        Assert.Contains("CURRENT SESSION", stats);
        Assert.Contains(stats, line => line.StartsWith("  Started 1 times", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Files_are_unwanted_wanted_again_and_prioritised_with_transmission_remote()
    {
        await using var node = await OurNode.StartAsync(_directory.Folder("ours"));
        var folder = Path.Combine(_directory.Folder("share"), "pack");
        TestFiles.WriteRandom(Path.Combine(folder, "a.bin"), 100_000);
        TestFiles.WriteRandom(Path.Combine(folder, "b.bin"), 60_000);
        var shared = await node.ShareTorrentAsync(folder, _directory.File("pack.torrent"));
        await node.WaitForSeedingAsync(shared["info_hash"]!.GetValue<string>(), TimeSpan.FromSeconds(15));
        var remote = new Remote(node);

        await remote.RunAsync("-t", "1", "-G", "0");
        await remote.RunAsync("-t", "1", "-ph", "1");
        var files = await remote.RunAsync("-t", "1", "-f");
        Assert.Equal("pack (2 files):", files[0]);
        Assert.Matches(@"^\s*0: 100% Normal\s+No\s+100\.0 kB\s+pack/a\.bin$", files[2]);
        Assert.Matches(@"^\s*1: 100% High\s+Yes\s+60\.00 kB\s+pack/b\.bin$", files[3]);
        var torrent = await node.TorrentAsync(shared["info_hash"]!.GetValue<string>());
        Assert.False(torrent["files"]![0]!["wanted"]!.GetValue<bool>());

        await remote.RunAsync("-t", "1", "-g", "all");
        files = await remote.RunAsync("-t", "1", "-f");
        Assert.Matches(@"^\s*0: 100% Normal\s+Yes\s+100\.0 kB\s+pack/a\.bin$", files[2]);
        var refused = await remote.RunAsync(expectSuccess: false, "-t", "1", "-g", "7");
        Assert.Contains(refused, line => line.Contains("2 files", StringComparison.Ordinal));
    }

    public void Dispose() => _directory.Dispose();

    /// <summary>One row of <c>-l</c>, cut at the columns of transmission-remote 3.00's printf ("%6d%c  %4s  %9s  %-8s  %6.1f  %6.1f  %5s  %-11s  %s").</summary>
    private sealed record ListRow(int Id, string Done, string Have, string Eta, string Status, string Name);

    private static List<ListRow> ListRows(IReadOnlyList<string> output) =>
        [.. output
            .Where(line => line.Length > 72 && int.TryParse(line.AsSpan(0, 6).Trim(), out _))
            .Select(line => new ListRow(
                int.Parse(line.AsSpan(0, 6).Trim(), System.Globalization.CultureInfo.InvariantCulture),
                line[9..13].Trim(),
                line[15..24].Trim(),
                line[26..34].Trim(),
                line[59..70].Trim(),
                line[72..]))];

    /// <summary>The "  Key: value" lines of <c>-i</c>.</summary>
    private static Dictionary<string, string> Fields(IReadOnlyList<string> output)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in output.Where(line => line.StartsWith("  ", StringComparison.Ordinal) && line.Contains(": ", StringComparison.Ordinal)))
        {
            var colon = line.IndexOf(": ", StringComparison.Ordinal);
            fields.TryAdd(line[..colon].Trim(), line[(colon + 2)..].Trim());
        }

        return fields;
    }

    /// <summary>transmission-remote pointed at our node's RPC, optionally with <c>-n user:password</c>.</summary>
    private sealed class Remote(OurNode node, string? credentials = null)
    {
        public Task<IReadOnlyList<string>> RunAsync(params string[] arguments) => RunAsync(expectSuccess: true, arguments);

        public async Task<IReadOnlyList<string>> RunAsync(bool expectSuccess, params string[] arguments)
        {
            List<string> all = [$"127.0.0.1:{node.Host.ApiUri.Port}/transmission/rpc/"];
            if (credentials is not null)
            {
                all.AddRange(["-n", credentials]);
            }

            all.AddRange(arguments);
            await using var process = ToolProcess.Start("transmission-remote", InteropTools.TransmissionRemote, all);
            var exitCode = await process.WaitForExitAsync(TimeSpan.FromSeconds(30));
            if (expectSuccess)
            {
                Assert.True(
                    exitCode == 0 && !process.Output.Any(line => line.StartsWith("! ", StringComparison.Ordinal) || line.StartsWith("Error", StringComparison.Ordinal)),
                    $"transmission-remote {string.Join(' ', arguments)} failed.\n{process.Describe()}\n{node.Describe(30)}");
            }

            return process.Output;
        }
    }
}
