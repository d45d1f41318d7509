using System.Reflection;

namespace SmartShare.Node;

/// <summary>Facts about this build of the node that the API reports.</summary>
public static class NodeInfo
{
    /// <summary>The API's default address: loopback only, lbrynet's port.</summary>
    public const string DefaultApiUrl = "http://127.0.0.1:5279";

    /// <summary>The version of this build (the informational version without source-control metadata).</summary>
    public static string Version { get; } =
        (typeof(NodeInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0").Split('+')[0];
}
