using System.Security.Cryptography;

namespace SmartShare;

/// <summary>The operating system's cryptographic random generator.</summary>
public sealed class SecureRandomSource : IRandomSource
{
    public static SecureRandomSource Instance { get; } = new();

    private SecureRandomSource()
    {
    }

    public void Fill(Span<byte> destination) => RandomNumberGenerator.Fill(destination);
}
