using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;
using SmartShare.BitTorrent;
using SmartShare.Lbry;
using SmartShare.Lbry.Blobs;
using SmartShare.Lbry.Dht;
using SmartShare.Lbry.Streams;
using SmartShare.Node.Downloads;
using SmartShare.Node.Http;
using SmartShare.Node.Shares;
using SmartShare.Node.Torrents;
using SmartShare.Node.Transfers;

namespace SmartShare.Node.Web;

/// <summary>
/// The files a user hands on to share something the node holds, as browser downloads: <c>GET /smartshare/{sd hash}</c>
/// (the stream's .smartshare file: its descriptor, this node's contacts, its name and size) and
/// <c>GET /torrent/{info hash}</c> (the torrent's metainfo). A page on another site cannot make the browser fetch them.
/// </summary>
internal sealed class ShareDownloads(
    DownloadManager downloads,
    TransferManager transfers,
    TorrentStore torrents,
    LbryStorage storage,
    LbryDhtService dht,
    Reachability.ShareContacts shareContacts)
{
    public async Task SmartShareAsync(HttpContext context, string hash)
    {
        if (await RefusedAsync(context))
        {
            return;
        }

        if (!BlobHash.TryParse(hash, out var sdHash) || downloads.Find(sdHash) is not { } record)
        {
            await ApiRefusal.WriteAsync(context, StatusCodes.Status404NotFound, $"This node lists no stream with the sd hash '{Sentences.Shorten(hash, 100)}'.");
            return;
        }

        byte[] sdBlob;
        StreamDescriptor descriptor;
        try
        {
            sdBlob = storage.Blobs.ReadAllVerified(sdHash);
            descriptor = new StreamDecryptor(storage).ReadDescriptor(sdHash);
        }
        catch (LbryDataException ex)
        {
            await ApiRefusal.WriteAsync(context, StatusCodes.Status409Conflict, $"The stream's descriptor is not here yet, so there is no .smartshare file to give: {ex.Message}");
            return;
        }

        var share = new SmartShareFile
        {
            Name = descriptor.SuggestedFileName,
            Size = transfers.Find(TransferKey.Of(sdHash))?.Progress.BytesTotal ?? descriptor.DataBlobs.Sum(blob => (long)blob.Length),
            SdHash = sdHash,
            SdBlob = sdBlob,
            Private = record.Private,
            Contacts = shareContacts.ForStream([], dht.LocalEndPoint.Port),
            Created = record.AddedAt,
        };
        await SendAsync(context, SmartShareCodec.Serialize(share), "application/x-smartshare", Path.GetFileNameWithoutExtension(descriptor.SuggestedFileName) + ".smartshare");
    }

    public async Task TorrentAsync(HttpContext context, string hash)
    {
        if (await RefusedAsync(context))
        {
            return;
        }

        if (!InfoHash.TryParse(hash, out var infoHash) || torrents.Find(infoHash) is not { } record)
        {
            await ApiRefusal.WriteAsync(context, StatusCodes.Status404NotFound, $"This node lists no torrent with the info hash '{Sentences.Shorten(hash, 100)}'.");
            return;
        }

        if (torrents.LoadMetainfo(infoHash) is not { } metainfo)
        {
            await ApiRefusal.WriteAsync(context, StatusCodes.Status409Conflict, $"The torrent {record.Name} has no metadata yet (its magnet link is still being resolved).");
            return;
        }

        await SendAsync(context, metainfo, "application/x-bittorrent", record.Name + ".torrent");
    }

    // A link followed from another site may open a stream the node holds, never take these files.
    private static async Task<bool> RefusedAsync(HttpContext context)
    {
        if (!context.Items.ContainsKey(RequestGuard.CrossSiteItem))
        {
            return false;
        }

        await ApiRefusal.WriteAsync(context, StatusCodes.Status403Forbidden, "A link from another web site may not take this node's share files; open the node's own page instead.");
        return true;
    }

    private static Task SendAsync(HttpContext context, byte[] body, string type, string fileName)
    {
        var response = context.Response;
        response.ContentType = type;
        response.ContentLength = body.Length;
        var disposition = new ContentDispositionHeaderValue("attachment");
        disposition.SetHttpFileName(fileName);
        response.Headers.ContentDisposition = disposition.ToString();
        response.Headers.CacheControl = "no-store";
        return HttpMethods.IsHead(context.Request.Method) ? Task.CompletedTask : response.Body.WriteAsync(body, context.RequestAborted).AsTask();
    }
}
