using System.Net;
using System.Net.Sockets;
using SmartShare.BitTorrent;
using SmartShare.Lbry.Blobs;
using SmartShare.Node.Shares;
using SmartShare.Threading;

namespace SmartShare.Node.Downloads;

/// <summary>
/// What a <c>get</c> names, resolved: an sd hash alone, or a .smartshare file or <c>smartshare:</c> link with the
/// creator's blob endpoints (asked at once), DHT endpoints (joined through), maybe the sd blob itself, and
/// whether the stream is private.
/// </summary>
public sealed record DownloadTarget(
    BlobHash SdHash,
    IReadOnlyList<IPEndPoint> Peers,
    IReadOnlyList<IPEndPoint> DhtContacts,
    byte[]? SdBlob,
    bool Private,
    string? Name,
    SmartShareTorrent? Torrent = null)
{
    private static readonly TimeSpan ResolveTimeLimit = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Reads <paramref name="target"/>: 96 hex digits, a <c>smartshare:</c> link, or the path of a .smartshare file.
    /// Throws <see cref="FormatException"/> (a <see cref="SmartShareFormatException"/> for a bad file or link), or a
    /// <see cref="SmartShare.IO.LocalFileException"/> for a path that is not a small regular file, with a sentence.
    /// </summary>
    public static async Task<DownloadTarget> ResolveAsync(string target, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(target);
        var text = target.Trim();
        if (BlobHash.TryParse(text, out var sdHash))
        {
            return new DownloadTarget(sdHash, [], [], null, false, null);
        }

        SmartShareFile file;
        if (SmartShareCodec.LooksLikeLink(text))
        {
            file = SmartShareCodec.ParseLink(text);
        }
        else if (Path.Exists(text))
        {
            // Anything at the path is read as a .smartshare file, which refuses all but a small regular file.
            file = SmartShareFileReader.Read(text);
        }
        else
        {
            throw new FormatException(
                $"'{target}' is neither an sd hash (96 lowercase hex digits), a smartshare: link, nor an existing .smartshare file.");
        }

        var peers = new List<IPEndPoint>();
        var dht = new List<IPEndPoint>();
        foreach (var contact in file.Contacts)
        {
            if (contact.Blob is { } blob)
            {
                peers.AddRange(await ResolveAsync(blob, time, cancellationToken));
            }

            if (contact.Dht is { } node)
            {
                dht.AddRange(await ResolveAsync(node, time, cancellationToken));
            }
        }

        foreach (var node in file.Bootstrap)
        {
            dht.AddRange(await ResolveAsync(node, time, cancellationToken));
        }

        return new DownloadTarget(file.SdHash, peers.Distinct().ToList(), dht.Distinct().ToList(), file.SdBlob, file.Private, file.Name, file.BitTorrent);
    }

    /// <summary>The share's torrent form as a magnet link with the creator's peers (x.pe) and DHT nodes (dht=), or null when it has none.</summary>
    public async Task<string?> MagnetAsync(TimeProvider time, CancellationToken cancellationToken)
    {
        if (Torrent is null)
        {
            return null;
        }

        var peers = new List<IPEndPoint>();
        foreach (var peer in Torrent.Peers)
        {
            peers.AddRange(await ResolveAsync(peer, time, cancellationToken));
        }

        return MagnetLink.Build(
            Torrent.InfoHash,
            Name,
            size: null,
            peers: peers.Distinct(),
            dhtNodes: Torrent.Dht.Select(node => new DnsEndPoint(node.Host, node.Port)));
    }

    /// <summary>An endpoint's addresses: the IP itself, or what a DNS name resolves to now (nothing if it does not).</summary>
    private static async Task<IEnumerable<IPEndPoint>> ResolveAsync(SmartShareEndpoint endPoint, TimeProvider time, CancellationToken cancellationToken)
    {
        if (IPAddress.TryParse(endPoint.Host, out var address))
        {
            return [new IPEndPoint(address, endPoint.Port)];
        }

        using var limit = new TimeLimit(ResolveTimeLimit, time, cancellationToken);
        try
        {
            var addresses = await Dns.GetHostAddressesAsync(endPoint.Host, limit.Token);
            return addresses.Select(found => new IPEndPoint(found, endPoint.Port));
        }
        catch (Exception ex) when (ex is SocketException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            // A name that does not resolve here leaves the other contacts (and the DHT) to do the work.
            return [];
        }
    }
}
