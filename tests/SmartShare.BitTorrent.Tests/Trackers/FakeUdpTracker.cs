using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using SmartShare.BitTorrent.Trackers;

namespace SmartShare.BitTorrent.Tests.Trackers;

/// <summary>A BEP 15 tracker on a UDP socket on 127.0.0.1, with knobs for dropping and refusing.</summary>
internal sealed class FakeUdpTracker : IDisposable
{
    public const long ConnectionId = 0x1122334455667788;

    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _serving;
    private int _connects;
    private int _announces;
    private int _scrapes;

    public FakeUdpTracker()
    {
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        Port = ((IPEndPoint)_socket.LocalEndPoint!).Port;
        _serving = ServeAsync();
    }

    public int Port { get; }

    public Uri AnnounceUri => new($"udp://127.0.0.1:{Port}/announce");

    /// <summary>How many connect requests to ignore before answering.</summary>
    public int DropConnects { get; set; }

    /// <summary>When set, announces and scrapes get an error answer (action 3) with this text.</summary>
    public string? Error { get; set; }

    public IReadOnlyList<IPEndPoint> Peers { get; set; } = [];

    public int Connects => Volatile.Read(ref _connects);

    public int Announces => Volatile.Read(ref _announces);

    public int Scrapes => Volatile.Read(ref _scrapes);

    public byte[]? LastAnnounce { get; private set; }

    public void Dispose()
    {
        _stop.Cancel();
        _socket.Dispose();
        try
        {
            _serving.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }

        _stop.Dispose();
    }

    private async Task ServeAsync()
    {
        var buffer = new byte[2048];
        EndPoint any = new IPEndPoint(IPAddress.Any, 0);
        while (!_stop.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, any, _stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            var request = buffer.AsSpan(0, received.ReceivedBytes).ToArray();
            var reply = Answer(request);
            if (reply is not null)
            {
                await _socket.SendToAsync(reply, SocketFlags.None, received.RemoteEndPoint);
            }
        }
    }

    private byte[]? Answer(byte[] request)
    {
        if (request.Length < 16)
        {
            return null;
        }

        var action = BinaryPrimitives.ReadInt32BigEndian(request.AsSpan(8));
        var transaction = BinaryPrimitives.ReadUInt32BigEndian(request.AsSpan(12));
        if (action == 0 && BinaryPrimitives.ReadInt64BigEndian(request) == UdpTrackerCodec.ProtocolId)
        {
            if (Interlocked.Increment(ref _connects) <= DropConnects)
            {
                return null;
            }

            var reply = new byte[16];
            Header(reply, 0, transaction);
            BinaryPrimitives.WriteInt64BigEndian(reply.AsSpan(8), ConnectionId);
            return reply;
        }

        if (BinaryPrimitives.ReadInt64BigEndian(request) != ConnectionId)
        {
            return null;
        }

        if (Error is not null && action is 1 or 2)
        {
            var text = Encoding.UTF8.GetBytes(Error);
            var reply = new byte[8 + text.Length];
            Header(reply, 3, transaction);
            text.CopyTo(reply, 8);
            return reply;
        }

        if (action == 1 && request.Length >= 98)
        {
            Interlocked.Increment(ref _announces);
            LastAnnounce = request;
            var reply = new byte[20 + (6 * Peers.Count)];
            Header(reply, 1, transaction);
            BinaryPrimitives.WriteInt32BigEndian(reply.AsSpan(8), 1800);
            BinaryPrimitives.WriteInt32BigEndian(reply.AsSpan(12), 7);
            BinaryPrimitives.WriteInt32BigEndian(reply.AsSpan(16), 3);
            for (var i = 0; i < Peers.Count; i++)
            {
                Peers[i].Address.GetAddressBytes().CopyTo(reply, 20 + (6 * i));
                BinaryPrimitives.WriteUInt16BigEndian(reply.AsSpan(24 + (6 * i)), (ushort)Peers[i].Port);
            }

            return reply;
        }

        if (action == 2 && request.Length >= 36)
        {
            Interlocked.Increment(ref _scrapes);
            var reply = new byte[20];
            Header(reply, 2, transaction);
            BinaryPrimitives.WriteInt32BigEndian(reply.AsSpan(8), 5);
            BinaryPrimitives.WriteInt32BigEndian(reply.AsSpan(12), 9);
            BinaryPrimitives.WriteInt32BigEndian(reply.AsSpan(16), 2);
            return reply;
        }

        return null;
    }

    private static void Header(byte[] reply, int action, uint transaction)
    {
        BinaryPrimitives.WriteInt32BigEndian(reply, action);
        BinaryPrimitives.WriteUInt32BigEndian(reply.AsSpan(4), transaction);
    }
}
