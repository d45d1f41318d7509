namespace SmartShare.Interop.Tests.Clients;

/// <summary>A test's own folder under the system temp directory, deleted with everything in it.</summary>
public sealed class InteropDirectory : IDisposable
{
    public InteropDirectory()
    {
        Root = Path.Combine(Path.GetTempPath(), "smartshare-interop-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    /// <summary>A sub-folder (created) of this test's folder.</summary>
    public string Folder(string name)
    {
        var path = Path.Combine(Root, name);
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>A path in this test's folder (not created).</summary>
    public string File(string name) => Path.Combine(Root, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A client still closing a file; the temp folder is cleaned eventually.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
