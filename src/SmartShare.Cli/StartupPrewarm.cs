using SmartShare.Node.Hosting;

namespace SmartShare.Cli;

/// <summary>
/// Runs <see cref="NodeHost.Prewarm"/> on a background thread from the command's first line when the command may start
/// a node in this process (<c>start</c>, or a command that starts a one-off node when none runs), so the node's start
/// finds its first-time code paid for on the other core. <see cref="NotNeeded"/> stops it between steps once a running
/// node was found to talk to.
/// </summary>
internal static class StartupPrewarm
{
    // The commands that start a node in this process: `start`, and those that open a one-off node when none runs.
    private static readonly HashSet<string> NodeCommands = new(StringComparer.Ordinal)
    {
        "start", "get", "share", "list", "peers", "blobs", "pause", "resume", "remove", "files", "queue", "goals", "limits",
    };

    private static readonly CancellationTokenSource Stop = new();

    /// <summary>
    /// Starts the warm-up when an argument names a command that may start a node (a false match only costs idle CPU) and
    /// there is another core to run it on: on one core it would only add its throwaway work to the start's.
    /// </summary>
    public static void Begin(IReadOnlyList<string> args)
    {
        if (Environment.ProcessorCount < 2 || !args.Any(NodeCommands.Contains) || args.Any(arg => arg is "-h" or "--help" or "-?" or "--version"))
        {
            return;
        }

        var token = Stop.Token;
        new Thread(() => NodeHost.Prewarm(token)) { IsBackground = true, Name = "node prewarm" }.Start();
    }

    /// <summary>No node starts in this process: the warm-up stops after the step it is in.</summary>
    public static void NotNeeded() => Stop.Cancel();
}
