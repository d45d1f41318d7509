using System.Globalization;

namespace SmartShare.Cli.Output;

/// <summary>Sizes and rates the way people read them.</summary>
internal static class Sizes
{
    private static readonly string[] Units = ["bytes", "KiB", "MiB", "GiB", "TiB"];

    public static string Format(long bytes)
    {
        if (bytes < 1024)
        {
            return bytes == 1 ? "1 byte" : string.Create(CultureInfo.InvariantCulture, $"{bytes} bytes");
        }

        double value = bytes;
        var unit = 0;
        while (value >= 1024 && unit < Units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return string.Create(CultureInfo.InvariantCulture, $"{value:0.#} {Units[unit]}");
    }

    public static string Rate(long bytes, TimeSpan elapsed) =>
        elapsed.TotalSeconds <= 0
            ? "-"
            : string.Create(CultureInfo.InvariantCulture, $"{bytes / elapsed.TotalSeconds / (1024 * 1024):0.0} MiB/s");

    /// <summary>A rate in bytes per second, in the unit that reads best ("0 B/s", "512 KiB/s", "1.2 MiB/s").</summary>
    public static string PerSecond(double bytesPerSecond)
    {
        if (bytesPerSecond < 1024)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{Math.Max(0, bytesPerSecond):0} B/s");
        }

        var value = bytesPerSecond;
        var unit = 0;
        while (value >= 1024 && unit < Units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return string.Create(CultureInfo.InvariantCulture, $"{value:0.#} {Units[unit]}/s");
    }

    public static string Seconds(TimeSpan elapsed) =>
        string.Create(CultureInfo.InvariantCulture, $"{elapsed.TotalSeconds:0.00} s");
}
