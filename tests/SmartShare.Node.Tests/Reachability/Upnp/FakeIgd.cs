using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace SmartShare.Node.Tests.Reachability.Upnp;

/// <summary>
/// A scripted internet gateway on loopback for the client's unit tests: answers a unicast M-SEARCH on a UDP port
/// and serves the description and SOAP actions over HTTP/1.1, one request per connection, recording every action.
/// Real sockets, so the client's own HTTP and SSDP code runs; nothing leaves 127.0.0.0/8.
/// </summary>
internal sealed class FakeIgd : IDisposable
{
    private readonly UdpClient _ssdp = new(new IPEndPoint(IPAddress.Loopback, 0));
    private readonly TcpListener _http = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _ssdpLoop;
    private readonly Task _httpLoop;

    public FakeIgd()
    {
        _http.Start();
        Location = $"http://127.0.0.1:{HttpPort}/rootDesc.xml";
        Description = DescriptionWith("/ctl/IPConn", "urn:schemas-upnp-org:service:WANIPConnection:2");
        _ssdpLoop = Task.Run(ServeSsdpAsync);
        _httpLoop = Task.Run(ServeHttpAsync);
    }

    public IPEndPoint SearchEndpoint => (IPEndPoint)_ssdp.Client.LocalEndPoint!;

    public int HttpPort => ((IPEndPoint)_http.LocalEndpoint).Port;

    /// <summary>The LOCATION the SSDP answer names.</summary>
    public string Location { get; set; }

    /// <summary>The whole SSDP answer; null means the default one naming <see cref="Location"/>, "" means no answer.</summary>
    public string? SsdpAnswer { get; set; }

    public string Description { get; set; }

    /// <summary>The answer to a SOAP action: status and body; the default gives success with no arguments.</summary>
    public Func<string, string, (int Status, string Body)> Soap { get; set; } = (action, _) => (200, Success(action));

    public ConcurrentQueue<string> Searches { get; } = new();

    public ConcurrentQueue<(string Path, string? SoapAction, string Body)> Requests { get; } = new();

    public IEnumerable<string> Actions(string action) => Requests.Where(request => request.SoapAction?.EndsWith("#" + action + "\"", StringComparison.Ordinal) == true).Select(request => request.Body);

    public static string DescriptionWith(string controlUrl, string serviceType, string urlBase = "") => $"""
        <?xml version="1.0"?>
        <root xmlns="urn:schemas-upnp-org:device-1-0">{urlBase}<device><deviceType>urn:schemas-upnp-org:device:InternetGatewayDevice:2</deviceType>
        <serviceList><service><serviceType>urn:schemas-upnp-org:service:Layer3Forwarding:1</serviceType><controlURL>/ctl/L3F</controlURL></service></serviceList>
        <deviceList><device><deviceType>urn:schemas-upnp-org:device:WANDevice:2</deviceType><deviceList><device>
        <deviceType>urn:schemas-upnp-org:device:WANConnectionDevice:2</deviceType><serviceList>
        <service><serviceType>{serviceType}</serviceType><serviceId>urn:upnp-org:serviceId:WANIPConn1</serviceId><controlURL>{controlUrl}</controlURL></service>
        </serviceList></device></deviceList></device></deviceList></device></root>
        """;

    public static string Success(string action, string arguments = "") =>
        $"""<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body><u:{action}Response xmlns:u="urn:schemas-upnp-org:service:WANIPConnection:2">{arguments}</u:{action}Response></s:Body></s:Envelope>""";

    public static (int, string) Fault(int code, string description) => (500,
        $"""<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body><s:Fault><faultcode>s:Client</faultcode><faultstring>UPnPError</faultstring><detail><UPnPError xmlns="urn:schemas-upnp-org:control-1-0"><errorCode>{code}</errorCode><errorDescription>{description}</errorDescription></UPnPError></detail></s:Fault></s:Body></s:Envelope>""");

    public static string Argument(string body, string name)
    {
        var start = body.IndexOf($"<{name}>", StringComparison.Ordinal);
        var end = body.IndexOf($"</{name}>", StringComparison.Ordinal);
        return start < 0 || end < start ? throw new InvalidOperationException($"No {name} in {body}") : body[(start + name.Length + 2)..end];
    }

    public void Dispose()
    {
        _stop.Cancel();
        _ssdp.Dispose();
        _http.Stop();
        Task.WhenAll(_ssdpLoop, _httpLoop).ContinueWith(_ => { }, TaskScheduler.Default).Wait(TimeSpan.FromSeconds(10));
        _stop.Dispose();
    }

    private async Task ServeSsdpAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            UdpReceiveResult search;
            try
            {
                search = await _ssdp.ReceiveAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            var text = Encoding.ASCII.GetString(search.Buffer);
            Searches.Enqueue(text);
            var answer = SsdpAnswer ?? $"HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=120\r\nST: urn:schemas-upnp-org:device:InternetGatewayDevice:2\r\nUSN: uuid:fake\r\nEXT:\r\nSERVER: Fake/1 UPnP/1.1\r\nLOCATION: {Location}\r\n\r\n";
            if (answer.Length > 0)
            {
                await _ssdp.SendAsync(Encoding.Latin1.GetBytes(answer), search.RemoteEndPoint);
            }
        }
    }

    private async Task ServeHttpAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient connection;
            try
            {
                connection = await _http.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            _ = Task.Run(() => AnswerAsync(connection));
        }
    }

    private async Task AnswerAsync(TcpClient connection)
    {
        using (connection)
        {
            try
            {
                var stream = connection.GetStream();
                var head = new StringBuilder();
                var one = new byte[1];
                while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal) && await stream.ReadAsync(one) == 1)
                {
                    head.Append((char)one[0]);
                }

                var lines = head.ToString().Split("\r\n");
                var path = lines[0].Split(' ')[1];
                string? soapAction = null;
                var length = 0;
                foreach (var line in lines.Skip(1))
                {
                    var colon = line.IndexOf(':', StringComparison.Ordinal);
                    if (colon > 0 && line[..colon].Equals("SOAPAction", StringComparison.OrdinalIgnoreCase))
                    {
                        soapAction = line[(colon + 1)..].Trim();
                    }
                    else if (colon > 0 && line[..colon].Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
                    {
                        length = int.Parse(line[(colon + 1)..].Trim(), CultureInfo.InvariantCulture);
                    }
                }

                var body = new byte[length];
                await stream.ReadExactlyAsync(body);
                var text = Encoding.UTF8.GetString(body);
                Requests.Enqueue((path, soapAction, text));
                var (status, answer) = soapAction is null
                    ? (200, Description)
                    : Soap(soapAction.Trim('"').Split('#')[^1], text);
                var bytes = Encoding.UTF8.GetBytes(answer);
                var header = $"HTTP/1.1 {status} X\r\nContent-Type: text/xml; charset=\"utf-8\"\r\nContent-Length: {bytes.Length}\r\nConnection: close\r\n\r\n";
                await stream.WriteAsync(Encoding.ASCII.GetBytes(header));
                await stream.WriteAsync(bytes);
            }
            catch (IOException)
            {
            }
        }
    }
}
