using SmartShare.Lbry;
using SmartShare.Storage;

namespace SmartShare.Node.Hosting;

/// <summary>
/// The database check before the node opens its storage: a damaged or locked <c>smartshare.db</c> stops the start
/// with a sentence (<see cref="DatabaseFile.Check"/>), unless the user asked to recover, which moves a damaged file
/// aside and lets the node start with a new one.
/// </summary>
internal static class DatabaseStartup
{
    /// <summary>Returns where a damaged database was moved, or null when it was whole (or absent).</summary>
    /// <exception cref="StorageException">The database is damaged (and no recovery was asked), locked or unreadable.</exception>
    public static string? Check(string dataDirectory, bool recover, TimeProvider time)
    {
        var path = Path.Combine(dataDirectory, LbryStorage.DatabaseFileName);
        try
        {
            DatabaseFile.Check(path);
            return null;
        }
        catch (DatabaseDamagedException) when (recover)
        {
            return DatabaseFile.MoveAside(path, time.GetUtcNow());
        }
    }
}
