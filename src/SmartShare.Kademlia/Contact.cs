using System.Net;

namespace SmartShare.Kademlia;

/// <summary>
/// A routing-table entry: a node id, its address and when it last replied or failed. The routing table
/// mutates the liveness fields under its own lock; read them through <see cref="Routing.RoutingTable"/> when
/// other threads may be updating the table.
/// </summary>
public sealed class Contact
{
    public Contact(NodeId id, IPEndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(id);
        ArgumentNullException.ThrowIfNull(endPoint);
        Id = id;
        EndPoint = endPoint;
    }

    public NodeId Id { get; }

    public IPEndPoint EndPoint { get; }

    public DateTimeOffset? LastReplied { get; private set; }

    public DateTimeOffset? LastFailed { get; private set; }

    /// <summary>Failures since the latest reply (or ever, when it never replied).</summary>
    public int FailuresSinceReply { get; private set; }

    public ContactInfo Info => new(Id, EndPoint);

    public void RecordReply(DateTimeOffset at)
    {
        LastReplied = at;
        FailuresSinceReply = 0;
    }

    public void RecordFailure(DateTimeOffset at)
    {
        LastFailed = at;
        FailuresSinceReply++;
    }

    /// <summary>Copies replies and failures from an entry this one replaces, keeping the newest of each.</summary>
    public void AdoptHistory(Contact previous)
    {
        ArgumentNullException.ThrowIfNull(previous);
        LastReplied = Latest(LastReplied, previous.LastReplied);
        LastFailed = Latest(LastFailed, previous.LastFailed);
        FailuresSinceReply = Math.Max(FailuresSinceReply, previous.FailuresSinceReply);
    }

    /// <summary>
    /// Good: replied within the window and after its latest failure. Bad: its latest failure came after its
    /// latest reply, or it never replied and failed at least twice, the latest within the window.
    /// </summary>
    public ContactLiveness GetLiveness(DateTimeOffset now, TimeSpan window)
    {
        if (LastReplied is { } replied)
        {
            if (LastFailed is { } failedAfterReply && failedAfterReply > replied)
            {
                return ContactLiveness.Bad;
            }

            return now - replied < window ? ContactLiveness.Good : ContactLiveness.Unknown;
        }

        if (FailuresSinceReply >= 2 && LastFailed is { } failed && now - failed < window)
        {
            return ContactLiveness.Bad;
        }

        return ContactLiveness.Unknown;
    }

    public override string ToString() => $"{Id} at {EndPoint}";

    private static DateTimeOffset? Latest(DateTimeOffset? a, DateTimeOffset? b) =>
        a is null ? b : b is null ? a : (a > b ? a : b);
}
