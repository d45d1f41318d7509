using System.Net;
using System.Net.Http.Headers;
using System.Text;
using SmartShare.Node.Http;

namespace SmartShare.Node.Client;

/// <summary>
/// What the CLI sends to a node whose API has a password: the password from <see cref="PasswordVariable"/> when
/// set (for a node on another machine), else, to a node on this machine only, the local token the node on this data
/// directory wrote (readable only by its user), else nothing (a node without a password needs none).
/// </summary>
public static class NodeApiCredentials
{
    public const string PasswordVariable = "SMARTSHARE_API_PASSWORD";

    /// <param name="apiUri">The API called: the local token never goes to an address that is not this machine's.</param>
    public static AuthenticationHeaderValue? For(string dataDirectory, Uri apiUri, Func<string, string?>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(dataDirectory);
        ArgumentNullException.ThrowIfNull(apiUri);
        environment ??= Environment.GetEnvironmentVariable;
        if (environment(PasswordVariable) is { Length: > 0 } password)
        {
            return Basic(password);
        }

        return IsThisMachine(apiUri) && ApiAccess.ReadLocalToken(dataDirectory) is { } token ? new AuthenticationHeaderValue("Bearer", token) : null;
    }

    /// <summary>HTTP Basic with an empty user name: the form <c>curl -u :PASSWORD</c> sends.</summary>
    public static AuthenticationHeaderValue Basic(string password)
    {
        ArgumentNullException.ThrowIfNull(password);
        return new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(":" + password)));
    }

    // localhost, a loopback address, or an address of one of this machine's interfaces.
    private static bool IsThisMachine(Uri apiUri)
    {
        if (apiUri.IsLoopback)
        {
            return true;
        }

        if (!IPAddress.TryParse(apiUri.Host.Trim('[', ']'), out var address))
        {
            return false;
        }

        return address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) || ApiHostNames.MachineAddresses().Contains(address);
    }
}
