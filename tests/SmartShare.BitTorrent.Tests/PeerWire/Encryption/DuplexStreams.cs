using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using SmartShare.IO;

namespace SmartShare.BitTorrent.Tests.PeerWire.Encryption;

/// <summary>Connected stream pairs for handshake tests: in-memory pipes and real loopback TCP.</summary>
internal static class DuplexStreams
{
    public static (Stream A, Stream B) InMemory()
    {
        var aToB = new Pipe();
        var bToA = new Pipe();
        return (new Duplex(bToA.Reader.AsStream(), aToB.Writer.AsStream()), new Duplex(aToB.Reader.AsStream(), bToA.Writer.AsStream()));
    }

    public static async Task<(Stream A, Stream B)> LoopbackAsync()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var accept = listener.AcceptAsync();
        await client.ConnectAsync(listener.LocalEndPoint!);
        var server = await accept;
        return (new NetworkStream(client, ownsSocket: true), new NetworkStream(server, ownsSocket: true));
    }

    public static Task<(Stream A, Stream B)> Make(bool loopback) => loopback ? LoopbackAsync() : Task.FromResult(InMemory());

    /// <summary>Reads what the input holds, then the end of the stream; writes are kept (to check what was answered).</summary>
    public static Stream Scripted(byte[] input) => new Duplex(new MemoryStream(input, writable: false), new MemoryStream());

    private sealed class Duplex(Stream read, Stream write) : DuplexStream
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => read.ReadAsync(buffer, cancellationToken);

        public override int Read(byte[] buffer, int offset, int count) => read.Read(buffer, offset, count);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => write.WriteAsync(buffer, cancellationToken);

        public override void Write(byte[] buffer, int offset, int count) => write.Write(buffer, offset, count);

        public override Task FlushAsync(CancellationToken cancellationToken) => write.FlushAsync(cancellationToken);

        public override void Flush() => write.Flush();


        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                read.Dispose();
                write.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
