using System.Text;
using System.Text.Json.Nodes;
using SmartShare.Node.Client;
using SmartShare.Tests.Shared;

namespace SmartShare.Node.Tests.Downloads;

/// <summary>
/// <c>get</c> and <c>stream_create</c> against a real node, with local paths an API caller could use to hurt it:
/// devices, FIFOs, /proc, symlinks to devices, files that are not what they claim, and outputs that already exist.
/// </summary>
public sealed class FileRpcMethodsTests : IAsyncLifetime, IDisposable
{
    // Refusals come at once; the limit only turns a regression (a blocked call) into a failure instead of a hang.
    private static readonly TimeSpan TimeLimit = TimeSpan.FromSeconds(10);

    private readonly NodeTestDirectory _directory = new();
    private readonly HostileFiles _files = new();
    private TestNode? _node;

    private TestNode Node => _node ?? throw new InvalidOperationException("The node has not started.");

    public static TheoryData<string> HostileKinds => ["dev-zero", "fifo", "proc-environ", "torrent-link-to-dev-zero", "socket"];

    public async Task InitializeAsync() => _node = await TestNode.StartAsync(_directory.File("node"));

    [Theory]
    [MemberData(nameof(HostileKinds))]
    public async Task Get_of_a_path_that_is_not_a_regular_file_is_refused_at_once_and_lists_nothing(string kind)
    {
        var error = await RefusedAsync("get", new JsonObject { ["uri"] = PathOf(kind) });

        Assert.Equal(-32602, error.Code);
        Assert.Contains(PathOf(kind), error.Message, StringComparison.Ordinal);
        await AssertNothingListedAsync();
    }

    [Fact]
    public async Task Get_of_a_fifo_named_like_a_torrent_says_it_is_a_fifo()
    {
        var fifo = Path.Combine(_files.Folder, "pipe.torrent");
        HostileFiles.MakeFifo(fifo);

        var error = await RefusedAsync("get", new JsonObject { ["uri"] = fifo });

        Assert.Equal(-32602, error.Code);
        Assert.Contains($"\"{fifo}\" is a FIFO (named pipe), not a regular file", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_of_proc_self_environ_says_it_is_in_proc()
    {
        var error = await RefusedAsync("get", new JsonObject { ["uri"] = HostileFiles.ProcEnviron });

        Assert.Contains("is in /proc (a pseudo file system)", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(HostileKinds))]
    public async Task Stream_create_of_a_path_that_is_not_a_regular_file_is_refused_at_once_and_lists_nothing(string kind)
    {
        var error = await RefusedAsync("stream_create", new JsonObject { ["file_path"] = PathOf(kind) });

        Assert.Equal(-32602, error.Code);
        Assert.Contains(PathOf(kind), error.Message, StringComparison.Ordinal);
        await AssertNothingListedAsync();
    }

    [Theory]
    [MemberData(nameof(HostileKinds))]
    public async Task Stream_create_with_a_torrent_of_a_path_that_is_not_a_regular_file_is_refused_and_lists_nothing(string kind)
    {
        var error = await RefusedAsync("stream_create", new JsonObject { ["file_path"] = PathOf(kind), ["torrent"] = true });

        Assert.Equal(-32602, error.Code);
        await AssertNothingListedAsync();
    }

    [Fact]
    public async Task Stream_create_of_a_folder_holding_a_fifo_refuses_the_torrent_naming_the_fifo()
    {
        var folder = Directory.CreateDirectory(_directory.File("show")).FullName;
        await File.WriteAllBytesAsync(Path.Combine(folder, "a.bin"), new byte[1000]);
        var fifo = Path.Combine(folder, "b.pipe");
        HostileFiles.MakeFifo(fifo);

        var error = await RefusedAsync("stream_create", new JsonObject { ["file_path"] = folder, ["torrent"] = true });

        Assert.Equal(-32602, error.Code);
        Assert.Contains($"\"{fifo}\" is a FIFO (named pipe)", error.Message, StringComparison.Ordinal);
        await AssertNothingListedAsync();
    }

    [Fact]
    public async Task Forty_concurrent_gets_of_fifos_are_all_refused_and_do_not_stall_status()
    {
        using var limit = new CancellationTokenSource(TimeLimit);
        var fifos = Enumerable.Range(0, 40).Select(i => Path.Combine(_files.Folder, $"pipe{i}" + (i % 2 == 0 ? ".torrent" : ".smartshare"))).ToList();
        fifos.ForEach(HostileFiles.MakeFifo);

        var gets = fifos.Select(fifo => Assert.ThrowsAsync<NodeApiException>(
            () => Node.Client.CallAsync("get", new JsonObject { ["uri"] = fifo }, limit.Token))).ToList();
        var status = await Node.Client.CallAsync("status", null, limit.Token);

        Assert.NotNull(status);
        Assert.All(await Task.WhenAll(gets), error => Assert.Equal(-32602, error.Code));
        await AssertNothingListedAsync();
    }

    [Fact]
    public async Task Stream_create_refuses_an_existing_smartshare_path_before_any_work_leaving_it_unchanged()
    {
        var source = await WriteSourceAsync();
        var existing = _directory.File("mine.smartshare");
        await File.WriteAllTextAsync(existing, "keep me");

        var error = await RefusedAsync("stream_create", new JsonObject { ["file_path"] = source, ["smartshare_path"] = existing });

        Assert.Equal(-32602, error.Code);
        Assert.Contains($"\"{existing}\" already exists", error.Message, StringComparison.Ordinal);
        Assert.Contains("overwrite", error.Message, StringComparison.Ordinal);
        Assert.Equal("keep me", await File.ReadAllTextAsync(existing));
        await AssertNothingListedAsync();
    }

    [Fact]
    public async Task Stream_create_refuses_an_existing_torrent_path_before_any_work_leaving_it_unchanged()
    {
        var source = await WriteSourceAsync();
        var existing = _directory.File("mine.torrent");
        await File.WriteAllTextAsync(existing, "keep me");

        var error = await RefusedAsync(
            "stream_create", new JsonObject { ["file_path"] = source, ["torrent"] = true, ["torrent_path"] = existing });

        Assert.Equal(-32602, error.Code);
        Assert.Contains($"\"{existing}\" already exists", error.Message, StringComparison.Ordinal);
        Assert.Equal("keep me", await File.ReadAllTextAsync(existing));
        await AssertNothingListedAsync();
    }

    [Fact]
    public async Task A_folder_shared_as_a_torrent_alone_ignores_an_existing_smartshare_path_it_does_not_write()
    {
        var folder = Directory.CreateDirectory(_directory.File("show")).FullName;
        await File.WriteAllBytesAsync(Path.Combine(folder, "a.bin"), new byte[1000]);
        var existing = _directory.File("show.smartshare");
        await File.WriteAllTextAsync(existing, "keep me");

        var created = await Node.CallAsync(
            "stream_create", new JsonObject { ["file_path"] = folder, ["torrent"] = true, ["smartshare_path"] = existing });

        Assert.NotNull(created!["info_hash"]);
        Assert.Equal("keep me", await File.ReadAllTextAsync(existing));
    }

    [Fact]
    public async Task Stream_create_refuses_a_folder_as_the_smartshare_path_even_with_overwrite()
    {
        var source = await WriteSourceAsync();
        var folder = Directory.CreateDirectory(_directory.File("out.smartshare")).FullName;

        var error = await RefusedAsync(
            "stream_create", new JsonObject { ["file_path"] = source, ["smartshare_path"] = folder, ["overwrite"] = true });

        Assert.Equal(-32602, error.Code);
        Assert.Contains($"\"{folder}\" is a folder", error.Message, StringComparison.Ordinal);
        Assert.True(Directory.Exists(folder));
        await AssertNothingListedAsync();
    }

    [Fact]
    public async Task Stream_create_with_overwrite_replaces_an_existing_smartshare_file()
    {
        var source = await WriteSourceAsync();
        var existing = _directory.File("mine.smartshare");
        await File.WriteAllTextAsync(existing, "replace me");

        var created = await Node.CallAsync(
            "stream_create", new JsonObject { ["file_path"] = source, ["smartshare_path"] = existing, ["overwrite"] = true });

        Assert.Equal(existing, created!["smartshare"]!.GetValue<string>());
        Assert.Contains("\"smartshare\"", await File.ReadAllTextAsync(existing), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stream_create_writes_a_smartshare_path_that_does_not_exist_yet()
    {
        var source = await WriteSourceAsync();
        var output = _directory.File("new.smartshare");

        var created = await Node.CallAsync("stream_create", new JsonObject { ["file_path"] = source, ["smartshare_path"] = output });

        Assert.Equal(output, created!["smartshare"]!.GetValue<string>());
        Assert.True(File.Exists(output));
    }

    [Theory]
    [InlineData("secret.smartshare", """{"secret":"hunter2-correct-horse"}""")]
    [InlineData("passwd.smartshare", "root:x:0:0:hunter2-correct-horse:/root:/bin/bash\n")]
    [InlineData("badhash.smartshare", """{"smartshare":1,"name":"x","size":1,"lbry":{"sd_hash":"hunter2-correct-horse"}}""")]
    [InlineData("array.smartshare", """["hunter2-correct-horse"]""")]
    [InlineData("passwd.torrent", "root:x:0:0:hunter2-correct-horse:/root:/bin/bash\n")]
    [InlineData("json.torrent", """{"secret":"hunter2-correct-horse"}""")]
    [InlineData("named.torrent", "d4:infod4:name21:hunter2-correct-horseee")]
    public async Task A_local_file_that_does_not_parse_is_refused_without_quoting_it(string name, string content)
    {
        var path = _directory.File(name);
        await File.WriteAllTextAsync(path, content);

        var error = await RefusedAsync("get", new JsonObject { ["uri"] = path });

        Assert.Equal(-32602, error.Code);
        var kind = name.EndsWith(".torrent", StringComparison.Ordinal) ? ".torrent" : ".smartshare";
        Assert.StartsWith($"\"{path}\" is not a {kind} file: ", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(content[..4], error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("0x", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_local_smartshare_file_over_the_size_cap_is_refused_without_reading_past_it()
    {
        var path = _directory.File("big.smartshare");
        await File.WriteAllBytesAsync(path, Encoding.UTF8.GetBytes(new string(' ', (4 * 1024 * 1024) + 1)));

        var error = await RefusedAsync("get", new JsonObject { ["uri"] = path });

        Assert.Equal($"\"{path}\" is larger than {4 * 1024 * 1024} bytes, so it is not a .smartshare file.", error.Message);
    }

    public async Task DisposeAsync()
    {
        if (_node is not null)
        {
            await _node.DisposeAsync();
        }
    }

    // After DisposeAsync: the node is gone before its folders are.
    public void Dispose()
    {
        _files.Dispose();
        _directory.Dispose();
    }

    private string PathOf(string kind) => kind switch
    {
        "dev-zero" => HostileFiles.DevZero,
        "fifo" => _files.Fifo,
        "proc-environ" => HostileFiles.ProcEnviron,
        "torrent-link-to-dev-zero" => _files.ZeroTorrentLink,
        "socket" => _files.SocketFile,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "No such hostile kind."),
    };

    private async Task<string> WriteSourceAsync()
    {
        var source = _directory.File("source.bin");
        await File.WriteAllBytesAsync(source, Enumerable.Range(0, 100_000).Select(i => (byte)i).ToArray());
        return source;
    }

    private async Task<NodeApiException> RefusedAsync(string method, JsonObject parameters)
    {
        using var limit = new CancellationTokenSource(TimeLimit);
        return await Assert.ThrowsAsync<NodeApiException>(() => Node.Client.CallAsync(method, parameters, limit.Token));
    }

    private async Task AssertNothingListedAsync()
    {
        var list = await Node.CallAsync("file_list");
        Assert.Empty(list!["items"]!.AsArray());
    }
}
