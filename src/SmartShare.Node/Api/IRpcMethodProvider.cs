namespace SmartShare.Node.Api;

/// <summary>
/// Contributes JSON-RPC methods. Register implementations in DI
/// (<c>services.AddSingleton&lt;IRpcMethodProvider, MyMethods&gt;()</c>); the node collects them all at start.
/// </summary>
public interface IRpcMethodProvider
{
    void Register(JsonRpcMethods methods);
}
