using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace SmartShare.Node.Http;

/// <summary>
/// The API password as the settings keep it: never the password, only a salted PBKDF2-SHA256 hash in the form
/// <c>pbkdf2-sha256$ITERATIONS$SALT$HASH</c> (salt and hash in base64).
/// </summary>
public static class ApiPassword
{
    public const string Scheme = "pbkdf2-sha256";

    /// <summary>OWASP's 2023 figure for PBKDF2-HMAC-SHA256: a guess costs about a quarter of a second of one core.</summary>
    public const int DefaultIterations = 600_000;

    /// <summary>Shorter passwords are refused: a short password falls to guessing even with the login throttle.</summary>
    public const int MinLength = 8;

    private const int SaltBytes = 16;
    private const int HashBytes = 32;
    private const int MinIterations = 100_000;
    private const int MaxIterations = 10_000_000;

    /// <summary>The stored form of <paramref name="password"/> with a fresh random salt.</summary>
    /// <exception cref="ArgumentException">The password is shorter than <see cref="MinLength"/>.</exception>
    public static string Hash(string password, int iterations = DefaultIterations)
    {
        ArgumentNullException.ThrowIfNull(password);
        if (password.Length < MinLength)
        {
            throw new ArgumentException($"An API password needs at least {MinLength} characters.", nameof(password));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(iterations, MinIterations);
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        var hash = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, HashBytes);
        return string.Create(CultureInfo.InvariantCulture, $"{Scheme}${iterations}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}");
    }

    /// <summary>Whether <paramref name="stored"/> is a hash in our form (so a plain password cannot be stored by mistake).</summary>
    public static bool IsHash(string stored) => TryParse(stored, out _, out _, out _);

    /// <summary>Checks <paramref name="password"/> against <paramref name="stored"/> in constant time.</summary>
    public static bool Verify(string password, string stored)
    {
        ArgumentNullException.ThrowIfNull(password);
        if (!TryParse(stored, out var iterations, out var salt, out var expected))
        {
            return false;
        }

        var actual = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, expected.Length);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }

    private static bool TryParse(string? stored, out int iterations, out byte[] salt, out byte[] hash)
    {
        iterations = 0;
        salt = [];
        hash = [];
        var parts = stored?.Split('$');
        if (parts is not [Scheme, var count, var saltText, var hashText]
            || !int.TryParse(count, NumberStyles.None, CultureInfo.InvariantCulture, out iterations)
            || iterations is < MinIterations or > MaxIterations)
        {
            return false;
        }

        try
        {
            salt = Convert.FromBase64String(saltText);
            hash = Convert.FromBase64String(hashText);
        }
        catch (FormatException)
        {
            return false;
        }

        return salt.Length >= SaltBytes && hash.Length == HashBytes;
    }
}
