namespace SmartShare.BitTorrent.Engine;

/// <summary>
/// What a torrent session is doing, as an object (after MonoTorrent's <c>Client.Modes</c>): the session holds one
/// mode at a time and asks it instead of testing its state, and every change goes through the session's
/// <c>SwitchMode</c>, which asks the current mode whether it may be left, swaps the modes, raises
/// <see cref="TorrentSession.StateChanged"/>, then lets the new mode do its entry work.
/// </summary>
/// <remarks>
/// The lifecycle: <see cref="CheckingMode"/> (hashing what an earlier run recorded) → <see cref="DownloadingMode"/>
/// or, with every piece verified, <see cref="SeedingMode"/>; downloading → seeding when the last piece verifies;
/// seeding → downloading when a verified piece is lost on disk; any mode → <see cref="StoppedMode"/> when the session
/// is disposed (paused or removed), or <see cref="ErrorMode"/> when storage fails. Stopped is the end of a session:
/// resuming starts a new session, which checks again and picks downloading or seeding from what it finds.
/// </remarks>
internal abstract class TorrentMode
{
    /// <summary>The public state this mode shows as.</summary>
    public abstract TorrentState State { get; }

    /// <summary>A name for logs and tests.</summary>
    public string Name => GetType().Name;

    /// <summary>Whether the session asks peers for blocks in this mode.</summary>
    public virtual bool RequestsPieces => false;

    /// <summary>Whether the session serves peers' requests in this mode.</summary>
    public virtual bool AcceptsUploads => false;

    /// <summary>Whether the session takes incoming connections in this mode.</summary>
    public virtual bool AcceptsPeers => false;

    /// <summary>Whether every piece is verified and the files are complete.</summary>
    public virtual bool IsComplete => false;

    /// <summary>Why the session stopped, for a mode that ended it with an error.</summary>
    public virtual string? Error => null;

    /// <summary>Whether the session may move from this mode to <paramref name="next"/>.</summary>
    public virtual bool CanSwitchTo(TorrentMode next) => true;

    /// <summary>Runs as the session leaves this mode, before the state-changed event.</summary>
    public virtual void Leave(TorrentMode next)
    {
    }

    /// <summary>Runs once the session is in this mode, after the state-changed event.</summary>
    public virtual void Enter(TorrentMode previous)
    {
    }

    /// <summary>What the session's once-a-second tick does in this mode; nothing unless a mode says so.</summary>
    public virtual void Tick(SessionTicker ticker)
    {
    }
}
