using System.Buffers.Binary;
using System.Net;

namespace SmartShare.BitTorrent.Trackers;

/// <summary>
/// The UDP tracker protocol (BEP 15) without I/O: request writers and answer parsers over spans. Every parse
/// error is a <see cref="TrackerException"/> of kind <see cref="TrackerErrorKind.BadResponse"/>, and an error
/// answer (action 3) one of kind <see cref="TrackerErrorKind.Failure"/>.
/// </summary>
public static class UdpTrackerCodec
{
    /// <summary>The magic constant that opens a connect request.</summary>
    public const long ProtocolId = 0x41727101980;

    public const int ConnectRequestLength = 16;
    public const int ConnectResponseLength = 16;
    public const int AnnounceRequestLength = 98;
    public const int AnnounceResponseHeaderLength = 20;
    public const int ScrapeRequestLength = 16 + InfoHash.Length;
    public const int ScrapeResponseLength = 8 + 12;

    public const int ActionConnect = 0;
    public const int ActionAnnounce = 1;
    public const int ActionScrape = 2;
    public const int ActionError = 3;

    /// <summary>Writes a connect request: protocol id, action 0, transaction id.</summary>
    public static int WriteConnectRequest(Span<byte> destination, uint transactionId)
    {
        CheckRoom(destination, ConnectRequestLength);
        BinaryPrimitives.WriteInt64BigEndian(destination, ProtocolId);
        BinaryPrimitives.WriteInt32BigEndian(destination[8..], ActionConnect);
        BinaryPrimitives.WriteUInt32BigEndian(destination[12..], transactionId);
        return ConnectRequestLength;
    }

    /// <summary>Reads a connect answer and returns its connection id.</summary>
    public static long ParseConnectResponse(ReadOnlySpan<byte> datagram, uint transactionId)
    {
        CheckHeader(datagram, ActionConnect, transactionId, "connect");
        if (datagram.Length < ConnectResponseLength)
        {
            throw Bad($"The connect answer is {datagram.Length} bytes, fewer than {ConnectResponseLength}.");
        }

        return BinaryPrimitives.ReadInt64BigEndian(datagram[8..]);
    }

    /// <summary>
    /// Writes an announce request: connection id, action 1, transaction id, info hash, peer id, downloaded, left,
    /// uploaded, event, IP 0, key, num_want, port. 98 bytes.
    /// </summary>
    public static int WriteAnnounceRequest(Span<byte> destination, long connectionId, uint transactionId, AnnounceRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        CheckRoom(destination, AnnounceRequestLength);
        if (request.PeerId.Length != 20)
        {
            throw new ArgumentException($"A peer id is 20 bytes, not {request.PeerId.Length}.", nameof(request));
        }

        BinaryPrimitives.WriteInt64BigEndian(destination, connectionId);
        BinaryPrimitives.WriteInt32BigEndian(destination[8..], ActionAnnounce);
        BinaryPrimitives.WriteUInt32BigEndian(destination[12..], transactionId);
        request.InfoHash.WriteTo(destination[16..]);
        request.PeerId.Span.CopyTo(destination[36..]);
        BinaryPrimitives.WriteInt64BigEndian(destination[56..], Math.Max(0, request.Downloaded));
        BinaryPrimitives.WriteInt64BigEndian(destination[64..], Math.Max(0, request.Left));
        BinaryPrimitives.WriteInt64BigEndian(destination[72..], Math.Max(0, request.Uploaded));
        BinaryPrimitives.WriteInt32BigEndian(destination[80..], EventCode(request.Event));
        BinaryPrimitives.WriteUInt32BigEndian(destination[84..], 0);
        BinaryPrimitives.WriteUInt32BigEndian(destination[88..], request.Key);
        BinaryPrimitives.WriteInt32BigEndian(destination[92..], request.NumWant < 0 ? -1 : request.NumWant);
        BinaryPrimitives.WriteUInt16BigEndian(destination[96..], (ushort)request.Port);
        return AnnounceRequestLength;
    }

    /// <summary>The event numbers of BEP 15: 0 none, 1 completed, 2 started, 3 stopped.</summary>
    public static int EventCode(TrackerEvent trackerEvent) => trackerEvent switch
    {
        TrackerEvent.Completed => 1,
        TrackerEvent.Started => 2,
        TrackerEvent.Stopped => 3,
        _ => 0,
    };

    /// <summary>Reads an announce answer: interval, leechers, seeders and 6-byte IPv4 peers.</summary>
    public static AnnounceResponse ParseAnnounceResponse(ReadOnlySpan<byte> datagram, uint transactionId, int maxPeers)
    {
        CheckHeader(datagram, ActionAnnounce, transactionId, "announce");
        if (datagram.Length == 8)
        {
            // A bare header: opentracker's way of refusing a torrent its whitelist does not hold.
            const string reason = "an empty announce answer (no interval, no peers), which opentracker sends when the torrent is not authorized";
            throw new TrackerException(TrackerErrorKind.Failure, $"The tracker refused: {reason}.", failureReason: reason);
        }

        if (datagram.Length < AnnounceResponseHeaderLength)
        {
            throw Bad($"The announce answer is {datagram.Length} bytes, fewer than {AnnounceResponseHeaderLength}.");
        }

        var intervalSeconds = BinaryPrimitives.ReadInt32BigEndian(datagram[8..]);
        if (intervalSeconds <= 0)
        {
            throw Bad($"The announce answer's interval is {intervalSeconds}, not positive.");
        }

        var leechers = BinaryPrimitives.ReadInt32BigEndian(datagram[12..]);
        var seeders = BinaryPrimitives.ReadInt32BigEndian(datagram[16..]);
        var peerBytes = datagram[AnnounceResponseHeaderLength..];
        if (peerBytes.Length % 6 != 0)
        {
            throw Bad($"The announce answer's peers are {peerBytes.Length} bytes, not a multiple of 6.");
        }

        var peers = new HttpTrackerCodec.PeerCollector(maxPeers);
        for (var offset = 0; offset < peerBytes.Length && !peers.Full; offset += 6)
        {
            peers.Add(new IPAddress(peerBytes.Slice(offset, 4)), BinaryPrimitives.ReadUInt16BigEndian(peerBytes[(offset + 4)..]));
        }

        var interval = TimeSpan.FromSeconds(Math.Min(intervalSeconds, HttpTrackerCodec.MaxInterval.TotalSeconds));
        return new AnnounceResponse(
            interval,
            null,
            peers.ToList(),
            seeders < 0 ? null : seeders,
            leechers < 0 ? null : leechers,
            null,
            null);
    }

    /// <summary>Writes a scrape request for one info hash: connection id, action 2, transaction id, info hash.</summary>
    public static int WriteScrapeRequest(Span<byte> destination, long connectionId, uint transactionId, InfoHash infoHash)
    {
        CheckRoom(destination, ScrapeRequestLength);
        BinaryPrimitives.WriteInt64BigEndian(destination, connectionId);
        BinaryPrimitives.WriteInt32BigEndian(destination[8..], ActionScrape);
        BinaryPrimitives.WriteUInt32BigEndian(destination[12..], transactionId);
        infoHash.WriteTo(destination[16..]);
        return ScrapeRequestLength;
    }

    /// <summary>Reads a scrape answer for one info hash: seeders, completed, leechers.</summary>
    public static ScrapeResponse ParseScrapeResponse(ReadOnlySpan<byte> datagram, uint transactionId)
    {
        CheckHeader(datagram, ActionScrape, transactionId, "scrape");
        if (datagram.Length < ScrapeResponseLength)
        {
            throw Bad($"The scrape answer is {datagram.Length} bytes, fewer than {ScrapeResponseLength}.");
        }

        var seeders = BinaryPrimitives.ReadInt32BigEndian(datagram[8..]);
        var completed = BinaryPrimitives.ReadInt32BigEndian(datagram[12..]);
        var leechers = BinaryPrimitives.ReadInt32BigEndian(datagram[16..]);
        if (seeders < 0 || completed < 0 || leechers < 0)
        {
            throw Bad("The scrape answer holds a negative count.");
        }

        return new ScrapeResponse(seeders, completed, leechers);
    }

    /// <summary>The transaction id of an answer, when it is long enough to have one (at least 8 bytes).</summary>
    public static bool TryReadTransactionId(ReadOnlySpan<byte> datagram, out uint transactionId)
    {
        if (datagram.Length < 8)
        {
            transactionId = 0;
            return false;
        }

        transactionId = BinaryPrimitives.ReadUInt32BigEndian(datagram[4..]);
        return true;
    }

    private static void CheckHeader(ReadOnlySpan<byte> datagram, int expectedAction, uint transactionId, string what)
    {
        if (datagram.Length < 8)
        {
            throw Bad($"The {what} answer is {datagram.Length} bytes, too short for a header.");
        }

        var action = BinaryPrimitives.ReadInt32BigEndian(datagram);
        var received = BinaryPrimitives.ReadUInt32BigEndian(datagram[4..]);
        if (received != transactionId)
        {
            throw Bad($"The {what} answer carries transaction id {received}, not {transactionId}.");
        }

        if (action == ActionError)
        {
            var reason = HttpTrackerCodec.Printable(datagram[8..]);
            throw new TrackerException(TrackerErrorKind.Failure, $"The tracker refused: {reason}", failureReason: reason);
        }

        if (action != expectedAction)
        {
            throw Bad($"The {what} answer has action {action}, not {expectedAction}.");
        }
    }

    private static void CheckRoom(Span<byte> destination, int length)
    {
        if (destination.Length < length)
        {
            throw new ArgumentException($"The request needs {length} bytes of room, not {destination.Length}.", nameof(destination));
        }
    }

    private static TrackerException Bad(string message) => new(TrackerErrorKind.BadResponse, message);
}
