using System.Text.Json.Nodes;

namespace SmartShare.Node.Hosting;

/// <summary>
/// Adds a section to the <c>status</c> answer (for example "blob_exchange" or "downloads"). Register in DI as
/// <c>services.AddSingleton&lt;IStatusContributor, ...&gt;()</c>; a section replaces a placeholder of the same name.
/// </summary>
public interface IStatusContributor
{
    string Section { get; }

    JsonNode? Describe();
}
