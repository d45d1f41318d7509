using SmartShare.Node.Hosting;
using SmartShare.Tests.Shared;

namespace SmartShare.Node.Tests.Hosting;

/// <summary>The data directory's node.json is read like any local file: what it cannot be is no node, never a hang or a crash.</summary>
public sealed class NodeFileTests : IDisposable
{
    private readonly NodeTestDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void The_file_this_process_writes_names_it()
    {
        NodeFile.Write(_directory.Path, new Uri("http://127.0.0.1:5280/"));

        Assert.Equal(new NodeFile(new Uri("http://127.0.0.1:5280/"), Environment.ProcessId), NodeFile.Read(_directory.Path));
    }

    [Fact]
    public async Task A_fifo_in_its_place_is_no_node_and_does_not_block()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        HostileFiles.MakeFifo(NodeFile.PathIn(_directory.Path));

        var read = Task.Run(() => NodeFile.Read(_directory.Path));

        Assert.Null(await read.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void An_oversized_or_damaged_file_is_no_node()
    {
        File.WriteAllText(NodeFile.PathIn(_directory.Path), "{\"api\":\"http://127.0.0.1:5280\",\"pid\":" + Environment.ProcessId + ",\"x\":\"" + new string('a', 8192) + "\"}");
        Assert.Null(NodeFile.Read(_directory.Path));

        File.WriteAllText(NodeFile.PathIn(_directory.Path), "{\"api\":");
        Assert.Null(NodeFile.Read(_directory.Path));
    }
}
