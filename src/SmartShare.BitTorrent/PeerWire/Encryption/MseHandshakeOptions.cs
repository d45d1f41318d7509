namespace SmartShare.BitTorrent.PeerWire.Encryption;

/// <summary>Limits of one MSE handshake.</summary>
public sealed class MseHandshakeOptions
{
    /// <summary>Options with every default.</summary>
    public static MseHandshakeOptions Default { get; } = new();

    /// <summary>How long the whole handshake may take. Default 10 s.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The clock <see cref="Timeout"/> runs on. Default the system clock; tests put in a fake one they advance.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>
    /// The length of the random padding after our public key (PadA or PadB), 0 to 512; null (the default) picks a
    /// random length each time.
    /// </summary>
    public int? PadLength { get; init; }

    /// <summary>
    /// Where the key pair and the shared secret come from: a fresh random key and the real exponentiation, always,
    /// in the node. Only the fuzzing harness puts in another (a fixed key and remembered results), since two 768-bit
    /// exponentiations per input would hold the fuzzer to a few hundred inputs a second.
    /// </summary>
    internal MseKeyExchange KeyExchange { get; init; } = MseKeyExchange.Random;
}
