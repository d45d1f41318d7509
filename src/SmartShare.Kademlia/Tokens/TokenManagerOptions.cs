using System.Security.Cryptography;

namespace SmartShare.Kademlia.Tokens;

/// <summary>How write tokens are made; the defaults are LBRY's (SHA-384, 48-byte tokens, 5-minute rotation).</summary>
public sealed record TokenManagerOptions
{
    /// <summary>SHA1, SHA256, SHA384 or SHA512.</summary>
    public HashAlgorithmName HashAlgorithm { get; init; } = HashAlgorithmName.SHA384;

    /// <summary>Tokens are the hash truncated to this many bytes (Mainline peers commonly use 20 or fewer).</summary>
    public int TokenLength { get; init; } = 48;

    public int SecretLength { get; init; } = 48;

    /// <summary>How often the secret rotates on the timer; <see cref="Timeout.InfiniteTimeSpan"/> turns the timer off.</summary>
    public TimeSpan RotationInterval { get; init; } = TimeSpan.FromMinutes(5);
}
