using Microsoft.Extensions.Hosting;

namespace SmartShare.Node.Hosting;

/// <summary>
/// Replaces the console lifetime: the node does not listen for Ctrl-C or SIGTERM itself. Whoever runs it (the
/// CLI turns signals into a CancellationToken) stops it through <see cref="NodeHost.StopAsync"/>.
/// </summary>
internal sealed class NodeHostLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
