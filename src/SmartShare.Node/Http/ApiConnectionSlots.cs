using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using SmartShare.Networking;

namespace SmartShare.Node.Http;

/// <summary>
/// Per-host connection slots for the API listener, as the blob server and the BitTorrent listener have them: a host
/// may hold at most <see cref="PerHost"/> connections, all hosts together <see cref="Capacity"/>. A connection
/// between requests (keep-alive, or one that never sends a request) only waits, so a newcomer takes its slot when the
/// slots are full (<see cref="ConnectionSlots"/>): a host opening thousands of idle connections evicts its own and
/// never runs the node out of file descriptors or locks another host's browser out. A request in progress (an
/// event stream included) keeps its slot.
/// </summary>
internal sealed class ApiConnectionSlots(TimeProvider time)
{
    public const int Capacity = 512;
    public const int PerHost = 64;

    private static readonly object SlotKey = new();
    private readonly ConnectionSlots _slots = new(Capacity, PerHost, time);
    private long _refused;

    /// <summary>Connections refused because every slot their host could take was busy.</summary>
    public long Refused => Interlocked.Read(ref _refused);

    /// <summary>Idle connections closed to make room for a newcomer.</summary>
    public long Evicted => _slots.Evictions;

    /// <summary>Kestrel connection middleware: takes a slot for the connection, or closes it at once.</summary>
    public ConnectionDelegate Connections(ConnectionDelegate next) => async connection =>
    {
        if (connection.RemoteEndPoint is not IPEndPoint remote)
        {
            await next(connection);
            return;
        }

        using var slot = _slots.TryTake(remote.Address, evictable: true);
        if (slot is null)
        {
            Interlocked.Increment(ref _refused);
            connection.Abort(new ConnectionAbortedException("Every API connection slot of this host is busy."));
            return;
        }

        connection.Items[SlotKey] = slot;
        using var eviction = slot.Evicted.Register(static state => ((ConnectionContext)state!).Abort(
            new ConnectionAbortedException("An idle API connection gave its slot to a newcomer.")), connection);
        await next(connection);
    };

    /// <summary>HTTP middleware: the connection's slot is busy (not evictable) while a request runs on it.</summary>
    public static async Task Requests(HttpContext context, RequestDelegate next)
    {
        var slot = context.Features.Get<IConnectionItemsFeature>()?.Items.TryGetValue(SlotKey, out var item) == true
            ? item as ConnectionSlots.Slot
            : null;
        if (slot is null)
        {
            await next(context);
            return;
        }

        slot.Evictable = false;
        try
        {
            await next(context);
        }
        finally
        {
            slot.Evictable = true;
        }
    }
}
