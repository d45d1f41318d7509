using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using SmartShare.Node.Http;
using SmartShare.Node.Transfers;

namespace SmartShare.Node.Streaming;

/// <summary>
/// <c>GET /stream/{sd_hash | info_hash}[/{file index}]</c>: a transfer's file over HTTP with Range support, the same
/// for both networks. The transfer's network opens a <see cref="StreamSource"/>: a complete file is served as it is;
/// otherwise the requested range is fetched first and sent as it is verified, so a player can start and seek while
/// the download runs.
/// </summary>
public static class StreamEndpoint
{
    public static void Map(IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapMethods("/stream/{hash}", ["GET", "HEAD"], RouteValues.Handler(context => HandleAsync(context, RouteValues.Text(context, "hash"), null)));
        endpoints.MapMethods(
            "/stream/{hash}/{fileIndex:int}", ["GET", "HEAD"], RouteValues.Handler(context => HandleAsync(context, RouteValues.Text(context, "hash"), RouteValues.Int(context, "fileIndex"))));
    }

    private static async Task HandleAsync(HttpContext context, string hash, int? fileIndex)
    {
        var response = context.Response;
        if (!TransferKey.TryParse(hash, out var key))
        {
            await RangeResponse.PlainAsync(response, StatusCodes.Status400BadRequest, $"'{hash}' is neither an sd hash (96 hex digits) nor an info hash (40 hex digits).");
            return;
        }

        // A link followed from another site may play what the node holds, never start a download.
        var mayStart = !context.Items.ContainsKey(Http.RequestGuard.CrossSiteItem);
        var network = context.RequestServices.GetRequiredService<TransferManager>().Network(key);
        StreamSource source;
        try
        {
            source = await network.OpenStreamAsync(key, fileIndex, mayStart, context.RequestAborted);
        }
        catch (StreamUnavailableException ex)
        {
            await RangeResponse.PlainAsync(response, ex.Status, ex.Message);
            return;
        }

        await using (source)
        {
            if (source.CompletePath is { } path)
            {
                await Results.File(path, RangeResponse.ServedContentType(context, path), enableRangeProcessing: true).ExecuteAsync(context);
                return;
            }

            if (RangeResponse.Begin(context, source.Length, source.FileName) is not { } range)
            {
                return;
            }

            // The status and headers go out now, not with the first body byte: a player learns the length and type
            // while the first piece is still on its way.
            await response.StartAsync(context.RequestAborted);
            await response.Body.FlushAsync(context.RequestAborted);
            try
            {
                await source.WriteRangeAsync(range, response.Body, context.RequestAborted);
            }
            catch (StreamUnavailableException)
            {
                // Past the headers a failure can only cut the answer short; the player sees fewer bytes than announced.
                context.Abort();
            }
        }
    }
}
