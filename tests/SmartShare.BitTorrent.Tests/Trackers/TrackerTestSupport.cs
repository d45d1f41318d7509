using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace SmartShare.BitTorrent.Tests.Trackers;

internal static class TrackerTestSupport
{
    public static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(20);

    public static InfoHash Hash(byte fill)
    {
        var bytes = new byte[InfoHash.Length];
        Array.Fill(bytes, fill);
        return InfoHash.FromBytes(bytes);
    }

    public static byte[] PeerId(char fill) => Encoding.ASCII.GetBytes(new string(fill, 20));

    public static byte[] Ascii(string text) => Encoding.Latin1.GetBytes(text);

    public static string Ascii(byte[] bytes) => Encoding.Latin1.GetString(bytes);

    /// <summary>A TCP port on 127.0.0.1 that nothing listens on (it was free a moment ago).</summary>
    public static int ClosedTcpPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>A UDP port on 127.0.0.1 that nothing listens on (it was free a moment ago).</summary>
    public static int ClosedUdpPort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    /// <summary>Waits until <paramref name="condition"/> holds, failing the test after <see cref="WaitLimit"/>.</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            if (watch.Elapsed > WaitLimit)
            {
                Assert.Fail($"Timed out after {WaitLimit.TotalSeconds} s waiting until {what}.");
            }

            await Task.Delay(10);
        }
    }

    /// <summary>Decodes a query string into raw bytes per name (the last value wins).</summary>
    public static Dictionary<string, byte[]> ParseQuery(string query)
    {
        var result = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var pair in query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            var name = equals < 0 ? pair : pair[..equals];
            var value = equals < 0 ? string.Empty : pair[(equals + 1)..];
            result[name] = PercentDecode(value);
        }

        return result;
    }

    public static byte[] PercentDecode(string text)
    {
        var bytes = new List<byte>(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '%' && i + 2 < text.Length)
            {
                bytes.Add(Convert.ToByte(text.Substring(i + 1, 2), 16));
                i += 2;
            }
            else
            {
                bytes.Add(checked((byte)text[i]));
            }
        }

        return bytes.ToArray();
    }
}
