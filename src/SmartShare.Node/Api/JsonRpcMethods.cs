using System.Text.Json.Nodes;

namespace SmartShare.Node.Api;

/// <summary>The methods the API answers, by name. Filled once from every <see cref="IRpcMethodProvider"/>.</summary>
public sealed class JsonRpcMethods
{
    private readonly Dictionary<string, RpcMethod> _methods = new(StringComparer.Ordinal);

    public JsonRpcMethods()
    {
    }

    public JsonRpcMethods(IEnumerable<IRpcMethodProvider> providers)
    {
        ArgumentNullException.ThrowIfNull(providers);
        foreach (var provider in providers)
        {
            provider.Register(this);
        }
    }

    /// <summary>Every method, sorted by name.</summary>
    public IReadOnlyList<RpcMethod> All => [.. _methods.Values.OrderBy(method => method.Name, StringComparer.Ordinal)];

    public void Add(string name, string description, Func<RpcParams, CancellationToken, Task<JsonNode?>> handler)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(description);
        ArgumentNullException.ThrowIfNull(handler);
        if (!_methods.TryAdd(name, new RpcMethod(name, description, handler)))
        {
            throw new InvalidOperationException($"The JSON-RPC method '{name}' is registered twice.");
        }
    }

    /// <summary>Adds a handler that works on the raw params object.</summary>
    public void Add(string name, string description, Func<JsonObject?, CancellationToken, Task<JsonNode?>> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        Add(name, description, (parameters, cancellationToken) => handler(parameters.Raw, cancellationToken));
    }

    public bool TryGet(string name, out RpcMethod method) => _methods.TryGetValue(name, out method!);

    /// <summary>Runs a method; an unknown name is a -32601 <see cref="JsonRpcException"/>.</summary>
    public Task<JsonNode?> InvokeAsync(string name, JsonObject? parameters, CancellationToken cancellationToken)
    {
        if (!TryGet(name, out var method))
        {
            throw new JsonRpcException(JsonRpcErrorCodes.MethodNotFound, $"Unknown method '{name}'; 'method_list' lists the methods this node answers.");
        }

        return method.Handler(new RpcParams(parameters), cancellationToken);
    }
}
