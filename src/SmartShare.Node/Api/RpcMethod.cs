using System.Text.Json.Nodes;

namespace SmartShare.Node.Api;

/// <summary>One JSON-RPC method: its name, a one-line description for <c>help</c>, and its handler.</summary>
public sealed record RpcMethod(string Name, string Description, Func<RpcParams, CancellationToken, Task<JsonNode?>> Handler);
