using System.Net;
using System.Security.Cryptography;
using System.Text;
using SmartShare.Node.Settings;

namespace SmartShare.Node.Http;

/// <summary>
/// Who may use the API. With no password set (the API on loopback), every local client may; with a password
/// (required when the API listens beyond loopback), a request must bring one of: the password (HTTP Basic, any
/// user name), a session from <c>POST /login</c> (cookie or bearer token), the node's local token (the file
/// <see cref="TokenFileName"/> in the data directory, readable only by the node's user, which the CLI sends), or,
/// for one transfer's <c>/stream</c> URL, that transfer's stream token.
/// </summary>
public sealed class ApiAccess : IDisposable
{
    public const string TokenFileName = "api-token";
    public const string StreamKeyFileName = "api-stream-key";
    public const string SessionCookieName = "smartshare_session";

    /// <summary>A session ends after this long unused.</summary>
    public static readonly TimeSpan SessionIdleLimit = TimeSpan.FromDays(7);

    private const int MaxSessions = 1000;
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private readonly NodeSettingsStore _settings;
    private readonly TimeProvider _time;
    private readonly string _tokenPath;
    private readonly byte[] _localToken;
    private readonly byte[] _streamKey;
    private readonly byte[] _cacheKey = RandomNumberGenerator.GetBytes(32);
    private readonly Dictionary<string, DateTimeOffset> _sessions = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    // The last password that verified, as a keyed hash, so a script sending it on every call pays PBKDF2 once.
    // One reference, swapped whole, so a reader never pairs one password's hash with another's MAC.
    private VerifiedPassword? _verified;

    private ApiAccess(NodeSettingsStore settings, TimeProvider time, string tokenPath, byte[] localToken, byte[] streamKey, ApiHostNames hosts)
    {
        _settings = settings;
        _time = time;
        _tokenPath = tokenPath;
        _localToken = localToken;
        _streamKey = streamKey;
        Hosts = hosts;
        Throttle = new LoginThrottle(time);
    }

    public ApiHostNames Hosts { get; }

    public LoginThrottle Throttle { get; }

    /// <summary>True when requests must authenticate: a password is set.</summary>
    public bool PasswordRequired => !string.IsNullOrEmpty(_settings.Current.ApiPasswordHash);

    /// <summary>
    /// Writes a fresh local token (owner-only) into <paramref name="dataDirectory"/> and loads or creates the stream
    /// key that signs <c>/stream</c> URLs (kept across restarts, so a URL handed to a player stays valid).
    /// </summary>
    public static ApiAccess Create(NodeSettingsStore settings, TimeProvider time, string dataDirectory, ApiHostNames hosts)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(dataDirectory);
        Directory.CreateDirectory(dataDirectory);
        var localToken = RandomNumberGenerator.GetBytes(32);
        var tokenPath = Path.Combine(dataDirectory, TokenFileName);
        WriteOwnerOnly(tokenPath, Encoding.ASCII.GetBytes(Convert.ToHexStringLower(localToken)));
        var keyPath = Path.Combine(dataDirectory, StreamKeyFileName);
        var streamKey = ReadKey(keyPath);
        if (streamKey is null)
        {
            streamKey = RandomNumberGenerator.GetBytes(32);
            WriteOwnerOnly(keyPath, Encoding.ASCII.GetBytes(Convert.ToHexStringLower(streamKey)));
        }

        return new ApiAccess(settings, time, tokenPath, localToken, streamKey, hosts);
    }

    /// <summary>Reads the local token a node wrote into <paramref name="dataDirectory"/>, or null when there is none.</summary>
    public static string? ReadLocalToken(string dataDirectory)
    {
        ArgumentNullException.ThrowIfNull(dataDirectory);
        var path = Path.Combine(dataDirectory, TokenFileName);
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            var text = File.ReadAllText(path).Trim();
            return text.Length == 64 ? text : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Whether <paramref name="token"/> (from a bearer header or the session cookie) is the local token or a live session.</summary>
    public bool IsValidToken(string? token)
    {
        if (string.IsNullOrEmpty(token) || token.Length > 128)
        {
            return false;
        }

        if (token.Length == 64 && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(token), Encoding.ASCII.GetBytes(Convert.ToHexStringLower(_localToken))))
        {
            return true;
        }

        var key = SessionKey(token);
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            if (_sessions.TryGetValue(key, out var lastUsed) && now - lastUsed < SessionIdleLimit)
            {
                _sessions[key] = now;
                return true;
            }

            _sessions.Remove(key);
            return false;
        }
    }

    /// <summary>Checks a password, throttled per address: wrong ones count against <paramref name="client"/>.</summary>
    public PasswordCheck CheckPassword(IPAddress client, string password)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(password);
        var stored = _settings.Current.ApiPasswordHash;
        if (string.IsNullOrEmpty(stored))
        {
            return PasswordCheck.Right;
        }

        var wait = Throttle.RetryAfter(client);
        if (wait > TimeSpan.Zero)
        {
            return PasswordCheck.Throttled(wait);
        }

        var mac = HMACSHA256.HashData(_cacheKey, Encoding.UTF8.GetBytes(password));
        var verified = Volatile.Read(ref _verified);
        var right = verified is { } known && known.StoredHash == stored && CryptographicOperations.FixedTimeEquals(known.Mac, mac)
            || ApiPassword.Verify(password, stored);
        if (!right)
        {
            Throttle.Failed(client);
            return PasswordCheck.Wrong;
        }

        Volatile.Write(ref _verified, new VerifiedPassword(stored, mac));
        Throttle.Succeeded(client);
        return PasswordCheck.Right;
    }

    /// <summary>A new session's token (for the cookie or a bearer header).</summary>
    public string StartSession()
    {
        var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            if (_sessions.Count >= MaxSessions)
            {
                foreach (var (key, _) in _sessions.OrderBy(pair => pair.Value).Take(_sessions.Count - MaxSessions + 1).ToList())
                {
                    _sessions.Remove(key);
                }
            }

            _sessions[SessionKey(token)] = now;
        }

        return token;
    }

    public void EndSession(string? token)
    {
        if (string.IsNullOrEmpty(token))
        {
            return;
        }

        lock (_lock)
        {
            _sessions.Remove(SessionKey(token));
        }
    }

    /// <summary>The token that opens <c>/stream/HASH</c> (and its files) without other credentials.</summary>
    public string StreamToken(string hash)
    {
        ArgumentNullException.ThrowIfNull(hash);
        var mac = HMACSHA256.HashData(_streamKey, Encoding.ASCII.GetBytes("stream/" + hash.ToLowerInvariant()));
        return Convert.ToHexStringLower(mac.AsSpan(0, 16));
    }

    public bool IsValidStreamToken(string hash, string? token) =>
        token is { Length: 32 }
        && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(token.ToLowerInvariant()), Encoding.ASCII.GetBytes(StreamToken(hash)));

    /// <summary>
    /// Removes the local token file, so no client uses a stale one, unless another node on this data directory has
    /// written its own since (a `start` while a CLI command's one-off node was running): that one is left alone.
    /// </summary>
    public void Dispose()
    {
        try
        {
            var text = File.ReadAllText(_tokenPath).Trim();
            if (CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(text), Encoding.ASCII.GetBytes(Convert.ToHexStringLower(_localToken))))
            {
                File.Delete(_tokenPath);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Best effort: the next start writes a new one anyway.
        }
    }

    private static string SessionKey(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    private static byte[]? ReadKey(string path)
    {
        try
        {
            var text = File.ReadAllText(path).Trim();
            return text.Length == 64 ? Convert.FromHexString(text) : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }

    private static void WriteOwnerOnly(string path, byte[] content)
    {
        var temporary = path + ".tmp";
        File.Delete(temporary);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = OwnerOnly;
        }

        using (var stream = new FileStream(temporary, options))
        {
            stream.Write(content);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
    }

    private sealed record VerifiedPassword(string StoredHash, byte[] Mac);
}
