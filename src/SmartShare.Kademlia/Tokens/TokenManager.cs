using System.Net;
using System.Security.Cryptography;

namespace SmartShare.Kademlia.Tokens;

/// <summary>
/// Issues and checks store tokens: hash(secret ‖ requester address bytes), truncated to the configured length.
/// The secret rotates on a timer (or on <see cref="Rotate"/>); tokens from the current and the previous secret
/// verify, so a token stays valid for one to two rotation intervals.
/// </summary>
public sealed class TokenManager : IDisposable
{
    private const int MaxInputLength = 256;

    private readonly Lock _gate = new();
    private readonly IRandomSource _random;
    private readonly TokenManagerOptions _options;
    private readonly int _hashLength;
    private readonly ITimer? _rotationTimer;
    private byte[] _currentSecret;
    private byte[]? _previousSecret;

    public TokenManager(TimeProvider timeProvider, IRandomSource random, TokenManagerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(random);
        _random = random;
        _options = options ?? new TokenManagerOptions();
        _hashLength = HashLengthOf(_options.HashAlgorithm);
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.TokenLength, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(_options.TokenLength, _hashLength);
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.SecretLength, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(_options.SecretLength, MaxInputLength - 16);
        _currentSecret = NewSecret();
        if (_options.RotationInterval != Timeout.InfiniteTimeSpan)
        {
            _rotationTimer = timeProvider.CreateTimer(
                static state => ((TokenManager)state!).Rotate(), this, _options.RotationInterval, _options.RotationInterval);
        }
    }

    public int TokenLength => _options.TokenLength;

    /// <summary>Starts a new secret; tokens made with the one before the current secret stop verifying.</summary>
    public void Rotate()
    {
        var fresh = NewSecret();
        lock (_gate)
        {
            _previousSecret = _currentSecret;
            _currentSecret = fresh;
        }
    }

    public byte[] CreateToken(IPAddress requester)
    {
        var token = new byte[_options.TokenLength];
        byte[] secret;
        lock (_gate)
        {
            secret = _currentSecret;
        }

        Compute(secret, requester, token);
        return token;
    }

    public bool Verify(ReadOnlySpan<byte> token, IPAddress requester)
    {
        if (token.Length != _options.TokenLength)
        {
            return false;
        }

        byte[] current;
        byte[]? previous;
        lock (_gate)
        {
            current = _currentSecret;
            previous = _previousSecret;
        }

        Span<byte> expected = stackalloc byte[_options.TokenLength];
        Compute(current, requester, expected);
        if (CryptographicOperations.FixedTimeEquals(expected, token))
        {
            return true;
        }

        if (previous is null)
        {
            return false;
        }

        Compute(previous, requester, expected);
        return CryptographicOperations.FixedTimeEquals(expected, token);
    }

    public void Dispose() => _rotationTimer?.Dispose();

    private void Compute(byte[] secret, IPAddress requester, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(requester);

        // An IPv4 peer seen on a dual-stack socket must get the same token as on an IPv4 socket.
        var address = requester.IsIPv4MappedToIPv6 ? requester.MapToIPv4() : requester;
        Span<byte> input = stackalloc byte[MaxInputLength];
        secret.CopyTo(input);
        if (!address.TryWriteBytes(input[secret.Length..], out var addressLength))
        {
            throw new ArgumentException($"Address {requester} could not be written as bytes.", nameof(requester));
        }

        Span<byte> hash = stackalloc byte[_hashLength];
        var message = input[..(secret.Length + addressLength)];
        switch (_options.HashAlgorithm.Name)
        {
            case "SHA1":
                // A keyed token only has to be unforgeable without the secret; SHA-1's collisions do not matter here.
#pragma warning disable CA5350
                SHA1.HashData(message, hash);
#pragma warning restore CA5350
                break;
            case "SHA256":
                SHA256.HashData(message, hash);
                break;
            case "SHA384":
                SHA384.HashData(message, hash);
                break;
            default:
                SHA512.HashData(message, hash);
                break;
        }

        hash[..destination.Length].CopyTo(destination);
    }

    private byte[] NewSecret()
    {
        var secret = new byte[_options.SecretLength];
        _random.Fill(secret);
        return secret;
    }

    private static int HashLengthOf(HashAlgorithmName algorithm) => algorithm.Name switch
    {
        "SHA1" => SHA1.HashSizeInBytes,
        "SHA256" => SHA256.HashSizeInBytes,
        "SHA384" => SHA384.HashSizeInBytes,
        "SHA512" => SHA512.HashSizeInBytes,
        _ => throw new ArgumentException($"Unsupported token hash {algorithm.Name}; use SHA1, SHA256, SHA384 or SHA512.", nameof(algorithm)),
    };
}
