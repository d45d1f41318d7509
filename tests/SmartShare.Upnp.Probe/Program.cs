using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using SmartShare.Node.Reachability;
using SmartShare.Node.Reachability.Upnp;

namespace SmartShare.Upnp.Probe;

/// <summary>
/// Drives <see cref="UpnpPortMapping"/> from commands on standard input, one JSON line out per command, so a test can
/// run the real client inside a network namespace. Commands: discover; external; map PROTO INTERNAL EXTERNAL SECONDS;
/// unmap PROTO INTERNAL EXTERNAL; listen tcp|udp PORT; connect tcp|udp HOST PORT; quit.
/// Options: --search HOST:PORT (unicast M-SEARCH instead of the group), --discovery-timeout SECONDS.
/// </summary>
public static class Program
{
    private static readonly List<IDisposable> Listeners = [];

    public static async Task<int> Main(string[] args)
    {
        var options = new UpnpOptions();
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            options = args[i] switch
            {
                "--search" => options with { SearchEndpoint = IPEndPoint.Parse(args[i + 1]) },
                "--discovery-timeout" => options with { DiscoveryTimeout = TimeSpan.FromSeconds(double.Parse(args[i + 1], CultureInfo.InvariantCulture)) },
                _ => throw new ArgumentException($"Unknown option {args[i]}."),
            };
        }

        using var logging = LoggerFactory.Create(builder => builder
            .SetMinimumLevel(LogLevel.Debug)
            .AddSimpleConsole(console => console.SingleLine = true)
            .AddConsole(console => console.LogToStandardErrorThreshold = LogLevel.Trace)
            .AddFilter("System", LogLevel.Warning)
            .AddFilter("Microsoft", LogLevel.Warning));
        Console.SetOut(new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false)) { AutoFlush = true });
        using var client = new UpnpPortMapping(TimeProvider.System, logging.CreateLogger<UpnpPortMapping>(), options);
        var mappings = new Dictionary<string, PortMapping>(StringComparer.Ordinal);
        while (await Console.In.ReadLineAsync() is { } line)
        {
            var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (words.Length == 0)
            {
                continue;
            }

            if (words[0] == "quit")
            {
                break;
            }

            var answer = new JsonObject { ["command"] = words[0] };
            var watch = Stopwatch.StartNew();
            try
            {
                await RunAsync(client, mappings, words, answer);
                answer["ok"] = true;
            }
            catch (PortMappingException ex)
            {
                answer["ok"] = false;
                answer["error"] = ex.Message;
                answer["code"] = ex.ResultCode;
            }
            catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException or ArgumentException or FormatException)
            {
                answer["ok"] = false;
                answer["error"] = $"{ex.GetType().Name}: {ex.Message}";
            }

            answer["ms"] = watch.Elapsed.TotalMilliseconds;
            Console.WriteLine(answer.ToJsonString(new JsonSerializerOptions { WriteIndented = false }));
        }

        foreach (var listener in Listeners)
        {
            listener.Dispose();
        }

        return 0;
    }

    private static async Task RunAsync(UpnpPortMapping client, Dictionary<string, PortMapping> mappings, string[] words, JsonObject answer)
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        switch (words)
        {
            case ["discover"]:
                answer["found"] = await client.DiscoverAsync(limit.Token);
                answer["serviceType"] = client.ControlPoint?.ServiceType;
                answer["controlUrl"] = client.ControlPoint?.ControlUrl.ToString();
                answer["internalClient"] = client.InternalClient?.ToString();
                break;
            case ["external"]:
                answer["address"] = (await client.GetExternalAddressAsync(limit.Token)).ToString();
                break;
            case ["map", var protocol, var internalPort, var externalPort, var seconds]:
                var mapping = await client.MapAsync(protocol, Number(internalPort), Number(externalPort), TimeSpan.FromSeconds(Number(seconds)), limit.Token);
                mappings[$"{protocol} {internalPort} {mapping.External.Port}"] = mapping;
                answer["external"] = mapping.External.ToString();
                answer["permanent"] = mapping.ExpiresAt == DateTimeOffset.MaxValue;
                answer["expiresInSeconds"] = mapping.ExpiresAt == DateTimeOffset.MaxValue ? null : (mapping.ExpiresAt - DateTimeOffset.UtcNow).TotalSeconds;
                break;
            case ["unmap", var protocol, var internalPort, var externalPort]:
                var known = mappings.GetValueOrDefault($"{protocol} {internalPort} {externalPort}")
                    ?? new PortMapping(protocol, Number(internalPort), new IPEndPoint(IPAddress.Any, Number(externalPort)), "upnp", DateTimeOffset.MaxValue);
                await client.UnmapAsync(known, limit.Token);
                break;
            case ["listen", "tcp", var port]:
                Listen(new TcpListener(IPAddress.Any, Number(port)));
                break;
            case ["listen", "udp", var port]:
                Echo(new UdpClient(new IPEndPoint(IPAddress.Any, Number(port))));
                break;
            case ["connect", "tcp", var host, var port]:
                using (var tcp = new TcpClient())
                {
                    await tcp.ConnectAsync(IPAddress.Parse(host), Number(port), limit.Token);
                    using var reader = new StreamReader(tcp.GetStream());
                    answer["line"] = await reader.ReadLineAsync(limit.Token);
                }

                break;
            case ["connect", "udp", var host, var port]:
                using (var udp = new UdpClient(AddressFamily.InterNetwork))
                {
                    await udp.SendAsync(Encoding.ASCII.GetBytes("ping"), new IPEndPoint(IPAddress.Parse(host), Number(port)), limit.Token);
                    using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                    var reply = await udp.ReceiveAsync(wait.Token);
                    answer["line"] = Encoding.ASCII.GetString(reply.Buffer);
                }

                break;
            default:
                throw new ArgumentException($"Unknown command: {string.Join(' ', words)}");
        }
    }

    private static int Number(string text) => int.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture);

    private static void Listen(TcpListener listener)
    {
        listener.Start();
        Listeners.Add(listener);
        _ = Task.Run(async () =>
        {
            while (true)
            {
                using var connection = await listener.AcceptTcpClientAsync();
                var greeting = Encoding.ASCII.GetBytes($"hello from {connection.Client.LocalEndPoint} to {connection.Client.RemoteEndPoint}\n");
                await connection.GetStream().WriteAsync(greeting);
            }
        });
    }

    private static void Echo(UdpClient socket)
    {
        Listeners.Add(socket);
        _ = Task.Run(async () =>
        {
            while (true)
            {
                var datagram = await socket.ReceiveAsync();
                await socket.SendAsync(Encoding.ASCII.GetBytes($"echo {Encoding.ASCII.GetString(datagram.Buffer)} from {datagram.RemoteEndPoint}"), datagram.RemoteEndPoint);
            }
        });
    }
}
