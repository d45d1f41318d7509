namespace SmartShare.Lbry.Downloads;

/// <summary>How hard a stream download works and how long it waits; the defaults follow lbry-sdk's where it has one.</summary>
public sealed record StreamDownloadOptions
{
    /// <summary>Connections open at once for one download, across all peers.</summary>
    public int MaxConnections { get; init; } = 8;

    /// <summary>
    /// Connections to one peer. The protocol answers one blob per connection at a time, so a fast peer
    /// only fills the pipe with several.
    /// </summary>
    public int MaxConnectionsPerPeer { get; init; } = 4;

    /// <summary>
    /// Data blobs asked for until the lowest missing one arrives (null or under 1: no limit; for two seconds at most): that blob and
    /// the last, which a player's first read waits for, arrive without more blobs competing for the peer's and this
    /// node's cores. On two cores blob 0 was hashed 18 ms after the click with four requests at once; the other
    /// connections lose one blob's time (about 10 ms) at the start of a download.
    /// </summary>
    public int? StartRequests { get; init; } = 2;

    /// <summary>How long to look for a peer that sends the descriptor before giving up.</summary>
    public TimeSpan DescriptorTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long without any blob arriving before the download fails (its blobs stay for a resume).</summary>
    public TimeSpan StallTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How often the DHT is asked again for peers while the download runs.</summary>
    public TimeSpan PeerSearchInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>A blob in flight this long may also be asked of a second peer, so one slow peer cannot hold up the file.</summary>
    public TimeSpan SlowBlobAfter { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Failures (each banned for min(30 s, failures²)) after which a peer is dropped for this download.</summary>
    public int MaxPeerFailures { get; init; } = 5;

    /// <summary>Received blobs kept in memory for the in-order decryption; beyond this they are read back from the store.</summary>
    public int MaxBufferedBlobs { get; init; } = 8;

    /// <summary>Decrypts into the output file; off when the node only fetches blobs (e.g. to seed).</summary>
    public bool WriteFile { get; init; } = true;

    /// <summary>
    /// Stores every data blob (as lbry-sdk does). Off for a node that serves a finished stream from its file: then a
    /// blob the in-order writer takes from memory is written once, into the file, and the partial file is the record a
    /// stopped or killed download resumes from (its blobs checked again). Blobs fetched ahead of the writer (a player's
    /// seek) are still stored. Only with <see cref="WriteFile"/>, and for streams of lbry-sdk's layout.
    /// </summary>
    public bool KeepDataBlobs { get; init; } = true;

    /// <summary>Writes the file's whole blocks past the page cache where the file system allows (<c>DirectWriter</c>).</summary>
    public bool DirectWrites { get; init; } = true;
}
