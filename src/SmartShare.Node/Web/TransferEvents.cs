using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Hosting;
using SmartShare.Threading;

namespace SmartShare.Node.Web;

/// <summary>
/// <c>GET /events</c>: the transfer list as server-sent events for the web UI. The first <c>transfers</c> event holds
/// every row; then, once a second, an event with only the rows that changed or appeared and the keys removed, and
/// nothing when nothing changed (a comment every 15 s keeps the connection alive). A browser that reconnects starts
/// again from a full event. The request passes the same guard as the rest of the API (Host, Origin, password).
/// </summary>
internal sealed class TransferEvents(TransferFeed feed, TimeProvider time, IHostApplicationLifetime lifetime)
{
    public const string Path = "/events";

    private static readonly byte[] Retry = Encoding.UTF8.GetBytes("retry: 2000\n\n");
    private static readonly byte[] KeepAlive = Encoding.UTF8.GetBytes(": keep-alive\n\n");
    private static readonly byte[] EventHead = Encoding.UTF8.GetBytes("event: transfers\ndata: ");
    private static readonly byte[] EventTail = Encoding.UTF8.GetBytes("\n\n");
    private static readonly int KeepAliveTicks = (int)(TimeSpan.FromSeconds(15) / TransferFeed.Interval);

    public async Task HandleAsync(HttpContext context)
    {
        var response = context.Response;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache, no-store";
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();

        // The node's stop ends the stream at once rather than waiting for the browser to go away.
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);
        var cancellationToken = linked.Token;
        try
        {
            await response.Body.WriteAsync(Retry, cancellationToken);
            using var timer = new PeriodicTimer(TransferFeed.Interval, time);
            using var stop = timer.DisposeOn(cancellationToken);
            var sent = TransferFeed.NothingSent;
            long revision = 0;
            var quiet = 0;
            do
            {
                (var data, sent) = feed.Next(sent, revision + 1);
                if (data is not null)
                {
                    revision++;
                    await response.Body.WriteAsync(EventHead, cancellationToken);
                    await response.Body.WriteAsync(data, cancellationToken);
                    await response.Body.WriteAsync(EventTail, cancellationToken);
                    quiet = 0;
                }
                else if (++quiet >= KeepAliveTicks)
                {
                    await response.Body.WriteAsync(KeepAlive, cancellationToken);
                    quiet = 0;
                }

                await response.Body.FlushAsync(cancellationToken);
            }
            while (await timer.WaitForNextTickAsync(CancellationToken.None));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The browser went away or the node stops: the stream simply ends.
        }
    }
}
