namespace SmartShare;

/// <summary>Where SmartShare keeps its data and puts downloads unless told otherwise (DESIGN.md, "Defaults").</summary>
public static class DefaultPaths
{
    public const string DataDirectoryVariable = "SMARTSHARE_DATA_DIR";

    /// <summary>$SMARTSHARE_DATA_DIR, else $XDG_DATA_HOME/smartshare, else ~/.local/share/smartshare.</summary>
    public static string DataDirectory(Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        var explicitDirectory = environment(DataDirectoryVariable);
        if (!string.IsNullOrWhiteSpace(explicitDirectory))
        {
            return Path.GetFullPath(explicitDirectory);
        }

        var xdg = environment("XDG_DATA_HOME");
        var root = !string.IsNullOrWhiteSpace(xdg) && Path.IsPathRooted(xdg)
            ? xdg
            : Path.Combine(Home(), ".local", "share");
        return Path.Combine(root, "smartshare");
    }

    /// <summary>~/Downloads.</summary>
    public static string DownloadDirectory() => Path.Combine(Home(), "Downloads");

    private static string Home() => Environment.GetFolderPath(Environment.SpecialFolder.UserProfile, Environment.SpecialFolderOption.DoNotVerify);
}
