using Microsoft.Extensions.Hosting;

namespace SmartShare.Node.Hosting;

/// <summary>Lets an API method ask the node to stop after its answer has gone out.</summary>
public sealed class NodeShutdown(IHostApplicationLifetime lifetime)
{
    public void Request() =>
        // Kestrel drains requests in flight when stopping, so the caller still gets its answer.
        _ = Task.Run(lifetime.StopApplication);
}
