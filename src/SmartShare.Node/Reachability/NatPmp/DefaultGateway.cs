using System.Globalization;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace SmartShare.Node.Reachability.NatPmp;

/// <summary>The IPv4 default gateway: the router NAT-PMP and PCP talk to (RFC 6886 §3: the client sends to its default gateway).</summary>
public static class DefaultGateway
{
    private const string RouteTable = "/proc/net/route";
    private const int MaxRouteTableBytes = 1 << 20;

    /// <summary>The default route's gateway from the kernel's route table, else from the interfaces' gateway addresses; null when there is none.</summary>
    public static IPAddress? Find()
    {
        try
        {
            if (File.Exists(RouteTable))
            {
                using var stream = File.OpenRead(RouteTable);
                using var reader = new StreamReader(stream);
                var buffer = new char[MaxRouteTableBytes];
                var read = reader.ReadBlock(buffer, 0, buffer.Length);
                if (ParseRouteTable(new string(buffer, 0, read)) is { } fromKernel)
                {
                    return fromKernel;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Fall back to what the interfaces say.
        }

        return NetworkInterface.GetAllNetworkInterfaces()
            .Where(item => item.OperationalStatus == OperationalStatus.Up)
            .SelectMany(item => item.GetIPProperties().GatewayAddresses)
            .Select(gateway => gateway.Address)
            .FirstOrDefault(address => address.AddressFamily == AddressFamily.InterNetwork && !address.Equals(IPAddress.Any));
    }

    /// <summary>
    /// The gateway of the lowest-metric IPv4 default route in <c>/proc/net/route</c>'s text (addresses in hex, in the
    /// machine's byte order); null when there is no such route. Lines that do not parse are skipped.
    /// </summary>
    public static IPAddress? ParseRouteTable(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        const int GatewayFlag = 0x2;
        IPAddress? best = null;
        var bestMetric = long.MaxValue;
        foreach (var line in text.Split('\n').Skip(1))
        {
            var columns = line.Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries);
            if (columns.Length < 8
                || !uint.TryParse(columns[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var destination)
                || !uint.TryParse(columns[2], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var gateway)
                || !int.TryParse(columns[3], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var flags)
                || !long.TryParse(columns[6], NumberStyles.Integer, CultureInfo.InvariantCulture, out var metric)
                || !uint.TryParse(columns[7], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var mask))
            {
                continue;
            }

            if (destination != 0 || mask != 0 || (flags & GatewayFlag) == 0 || gateway == 0 || metric >= bestMetric)
            {
                continue;
            }

            // The kernel prints the address as a number in the machine's byte order; its bytes in memory are the
            // address in network order on either kind of machine.
            best = new IPAddress(BitConverter.GetBytes(gateway));
            bestMetric = metric;
        }

        return best;
    }
}
