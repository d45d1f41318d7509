namespace SmartShare.Cli;

/// <summary>What the smartshare command returns; scripts may rely on these.</summary>
internal static class ExitCodes
{
    public const int Success = 0;

    /// <summary>The work failed: unreadable file, missing or corrupt blob, full disk, problems found by verify.</summary>
    public const int Failure = 1;

    /// <summary>The command line or an argument is wrong (for example an sd hash that is not 96 hex digits).</summary>
    public const int BadInput = 2;

    /// <summary>Interrupted by Ctrl-C or SIGTERM.</summary>
    public const int Cancelled = 130;
}
