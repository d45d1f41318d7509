using System.Net;

namespace SmartShare.Node.Downloads;

/// <summary>How the node's tables keep a list of peer addresses: "ip:port" joined by commas; unreadable entries are skipped.</summary>
internal static class EndPointList
{
    public static string Format(IEnumerable<IPEndPoint> endPoints) => string.Join(',', endPoints.Select(endPoint => endPoint.ToString()));

    public static List<IPEndPoint> Parse(string? text) =>
        (text ?? string.Empty)
            .Split(',', StringSplitOptions.RemoveEmptyEntries)
            .Select(item => IPEndPoint.TryParse(item, out var endPoint) ? endPoint : null)
            .OfType<IPEndPoint>()
            .ToList();
}
