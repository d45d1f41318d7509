using System.Net.Http.Headers;
using System.Text;
using SmartShare.Node.Http;

namespace SmartShare.Node.Client;

/// <summary>
/// What the CLI sends to a node whose API has a password: the password from <see cref="PasswordVariable"/> when
/// set (for a node on another machine), else the local token the node on this data directory wrote (readable only
/// by its user), else nothing (a node without a password needs none).
/// </summary>
public static class NodeApiCredentials
{
    public const string PasswordVariable = "SMARTSHARE_API_PASSWORD";

    public static AuthenticationHeaderValue? For(string dataDirectory, Func<string, string?>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(dataDirectory);
        environment ??= Environment.GetEnvironmentVariable;
        if (environment(PasswordVariable) is { Length: > 0 } password)
        {
            return Basic(password);
        }

        return ApiAccess.ReadLocalToken(dataDirectory) is { } token ? new AuthenticationHeaderValue("Bearer", token) : null;
    }

    /// <summary>HTTP Basic with an empty user name: the form <c>curl -u :PASSWORD</c> sends.</summary>
    public static AuthenticationHeaderValue Basic(string password)
    {
        ArgumentNullException.ThrowIfNull(password);
        return new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(":" + password)));
    }
}
