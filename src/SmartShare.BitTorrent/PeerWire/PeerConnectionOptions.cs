namespace SmartShare.BitTorrent.PeerWire;

/// <summary>Timeouts and sizes of a <see cref="PeerConnection"/>.</summary>
public sealed class PeerConnectionOptions
{
    /// <summary>Options with every default.</summary>
    public static PeerConnectionOptions Default { get; } = new();

    /// <summary>How long dialing may take. Default 5 s.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long sending our handshake and receiving the peer's may take together. Default 10 s.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a read waits with nothing at all arriving (peers send keep-alives every two minutes). Default 120 s.</summary>
    public TimeSpan ReadTimeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>
    /// How long one send may wait with the peer reading nothing of it (a full socket buffer that does not drain): a peer
    /// that asks for blocks and never reads them would otherwise hold an upload slot and its buffers forever. Default 60 s.
    /// </summary>
    public TimeSpan SendTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The largest message length prefix accepted at first (<see cref="PeerConnection.MaxMessageLength"/>). Default 256 KiB.</summary>
    public int MaxMessageLength { get; init; } = 256 * 1024;

    /// <summary>The kernel's send and receive buffer size for the socket (SO_SNDBUF, SO_RCVBUF). Default 1 MiB.</summary>
    public int SocketBufferSize { get; init; } = 1024 * 1024;

    /// <summary>Message Stream Encryption when dialing and accepting (the node's <c>bt_encryption</c>). Default <see cref="EncryptionMode.Prefer"/>.</summary>
    public EncryptionMode Encryption { get; init; } = EncryptionMode.Prefer;

    /// <summary>
    /// The clock every timeout above runs on. Default the system clock; a torrent session and the client's listener
    /// put their own in (<see cref="WithTime"/>), and tests a fake one they advance.
    /// </summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>
    /// A copy of these options with <see cref="Encryption"/> set to <paramref name="mode"/>, e.g.
    /// <c>sessionOptions.Connection = sessionOptions.Connection.WithEncryption(EncryptionMode.Require)</c>.
    /// </summary>
    public PeerConnectionOptions WithEncryption(EncryptionMode mode) => Copy(mode, Time);

    /// <summary>A copy of these options whose timeouts run on <paramref name="time"/>.</summary>
    public PeerConnectionOptions WithTime(TimeProvider time) => Copy(Encryption, time ?? throw new ArgumentNullException(nameof(time)));

    private PeerConnectionOptions Copy(EncryptionMode mode, TimeProvider time) => new()
    {
        ConnectTimeout = ConnectTimeout,
        HandshakeTimeout = HandshakeTimeout,
        ReadTimeout = ReadTimeout,
        SendTimeout = SendTimeout,
        MaxMessageLength = MaxMessageLength,
        SocketBufferSize = SocketBufferSize,
        Encryption = mode,
        Time = time,
    };
}
