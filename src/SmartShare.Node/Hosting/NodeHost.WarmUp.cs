using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;

namespace SmartShare.Node.Hosting;

/// <summary>
/// The warm-up a daemon node runs before it says it is up (<see cref="NodeHostOptions.WarmUp"/>). A fresh node's first
/// click spent about 30-40 ms of its 130-170 ms in code running for the first time on the API's side alone (the
/// socket transport, HTTP parsing, routing, the host and origin checks, JSON-RPC and its serializer): one status call
/// of its own over loopback runs it now. The hashes and the cipher every transfer uses are run once on a few bytes.
/// </summary>
public sealed partial class NodeHost
{
    /// <summary>How long the warm-up may take before the node goes on without it.</summary>
    public static readonly TimeSpan WarmUpLimit = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The HTTP status the warm-up's call was answered with (200; 401 from an API that needs a password, which runs
    /// most of the same code), or null when it did not run or got no answer within <see cref="WarmUpLimit"/>.
    /// </summary>
    public int? WarmUpStatus { get; private set; }

    // The hashes and the cipher every transfer uses, once on a few bytes (OpenSSL's first calls load and set up more).
    private static void RunCryptoOnce()
    {
        Span<byte> bytes = stackalloc byte[64];
        SHA384.HashData(bytes, stackalloc byte[SHA384.HashSizeInBytes]);
#pragma warning disable CA5350 // BitTorrent's piece hash is SHA-1 (BEP 3); this only runs it once
        SHA1.HashData(bytes, stackalloc byte[SHA1.HashSizeInBytes]);
#pragma warning restore CA5350
        using var aes = Aes.Create();
        aes.Key = bytes[..16].ToArray();
        var encrypted = aes.EncryptCbc(bytes[..32], bytes[16..32], PaddingMode.PKCS7);
        aes.DecryptCbc(encrypted, bytes[16..32], PaddingMode.PKCS7);
    }

    private async Task WarmUpAsync(Uri apiUri, ILogger logger, CancellationToken cancellationToken)
    {
        RunCryptoOnce();
        using var limit = new CancellationTokenSource(WarmUpLimit, _options.Time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, limit.Token);
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            var host = apiUri.IdnHost;
            var address = IPAddress.TryParse(host, out var parsed) && !parsed.Equals(IPAddress.Any) && !parsed.Equals(IPAddress.IPv6Any)
                ? parsed
                : IPAddress.Loopback;
            using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(new IPEndPoint(address, apiUri.Port), linked.Token);
            var body = "{\"method\":\"status\",\"params\":{}}"u8.ToArray();
            var head = Encoding.ASCII.GetBytes(
                $"POST / HTTP/1.1\r\nHost: {apiUri.Authority}\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n");
            await socket.SendAsync(head, SocketFlags.None, linked.Token);
            await socket.SendAsync(body, SocketFlags.None, linked.Token);
            // Read to the end (the server closes after its answer); the status line is at the start: "HTTP/1.1 200 OK".
            var first = 0;
            int read;
            while ((read = await socket.ReceiveAsync(buffer.AsMemory(first), SocketFlags.None, linked.Token)) > 0)
            {
                first = Math.Min(first + read, 16);
            }

            WarmUpStatus = first >= 12 && int.TryParse(buffer.AsSpan(9, 3), out var status) ? status : null;
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or IOException && !cancellationToken.IsCancellationRequested)
        {
            LogWarmUpSkipped(logger, ex.Message);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Skipped the API warm-up: {Reason}")]
    private static partial void LogWarmUpSkipped(ILogger logger, string reason);
}
