namespace SmartShare.Node.Tests;

/// <summary>A data directory of the test's own under the temp folder, deleted afterwards.</summary>
public sealed class NodeTestDirectory : IDisposable
{
    public NodeTestDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "smartshare-node-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A log file still being closed; the temp folder is cleaned eventually.
        }
    }
}
