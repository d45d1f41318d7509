using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Http.Features;

namespace SmartShare.Node.Hosting;

/// <summary>
/// The server of a node that serves no HTTP (<see cref="NodeHostOptions.ServeHttp"/> false): the web host starts and
/// stops it like Kestrel, and it never listens. The node's API is then reached only through
/// <see cref="NodeHost.CreateInProcessApiHandler"/>.
/// </summary>
internal sealed class NoHttpServer : IServer
{
    public IFeatureCollection Features { get; } = new FeatureCollection();

    public Task StartAsync<TContext>(IHttpApplication<TContext> application, CancellationToken cancellationToken)
        where TContext : notnull => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose()
    {
    }
}
