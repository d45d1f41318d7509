using System.CommandLine;

namespace SmartShare.Cli.Commands;

/// <summary>The DHT options shared by the commands that run a DHT node (DESIGN.md, "The command line").</summary>
internal sealed class DhtOptions
{
    public DhtOptions(int defaultPort)
    {
        Port = new Option<int>("--port")
        {
            Description = "UDP port of the LBRY DHT; the blob-exchange TCP port uses the same number. 0 picks a free port.",
            HelpName = "P",
            DefaultValueFactory = _ => defaultPort,
        };
    }

    public Option<int> Port { get; }

    public Option<string[]> Bootstrap { get; } = new("--bootstrap")
    {
        Description = "A DHT node to join through (repeatable). None by default: saved contacts are used first.",
        HelpName = "HOST:PORT",
        AllowMultipleArgumentsPerToken = false,
    };

    public Option<bool> AllowLan { get; } = new("--allow-lan")
    {
        Description = "Accept loopback and private addresses as DHT contacts and peers (LAN use and tests).",
    };

    public void AddTo(Command command)
    {
        command.Options.Add(Port);
        command.Options.Add(Bootstrap);
        command.Options.Add(AllowLan);
    }

    public IReadOnlyList<System.Net.IPEndPoint> BootstrapEndPoints(ParseResult parse) =>
        (parse.GetValue(Bootstrap) ?? []).Select(text => HostPort.Parse(text, "--bootstrap")).ToList();

    public int PortValue(ParseResult parse)
    {
        var port = parse.GetValue(Port);
        return port is >= 0 and <= 65535 ? port : throw new FormatException($"--port must be from 0 to 65535, not {port}.");
    }
}
