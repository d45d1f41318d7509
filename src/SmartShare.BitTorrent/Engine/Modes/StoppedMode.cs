namespace SmartShare.BitTorrent.Engine;

/// <summary>
/// The end of a session (paused, removed, or the node stopping): no transfers, no connections, no tick work. A
/// stopped session does not start again; resuming makes a new session, which checks and picks its mode. The only
/// way on is to <see cref="ErrorMode"/>, so a storage error met while stopping is still reported.
/// </summary>
internal class StoppedMode : TorrentMode
{
    public override TorrentState State => TorrentState.Stopped;

    public override bool CanSwitchTo(TorrentMode next) => next is ErrorMode && this is not ErrorMode;
}

/// <summary>Stopped by a problem (a piece that could not be written): shows as stopped with <see cref="Error"/>.</summary>
internal sealed class ErrorMode(string error) : StoppedMode
{
    public override string? Error => error;
}
