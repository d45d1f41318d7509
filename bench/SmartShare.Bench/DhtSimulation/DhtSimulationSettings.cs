using System.Globalization;

namespace SmartShare.Bench.DhtSimulation;

/// <summary>Command line of <c>dht-simulation</c>: <c>[--nodes N] [--keys K] [--seed S]</c>.</summary>
internal sealed record DhtSimulationSettings(int Nodes, int Keys, ulong Seed)
{
    public const string Usage = "usage: dht-simulation [--nodes N (default 10000)] [--keys K (default 1000)] [--seed S (default 2026)]";

    public static DhtSimulationSettings Default { get; } = new(10_000, 1_000, 2026);

    /// <summary>Parses the arguments after <c>dht-simulation</c>; null with a message on error.</summary>
    public static DhtSimulationSettings? Parse(IReadOnlyList<string> args, out string? error)
    {
        var settings = Default;
        error = null;
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            if (name is "-h" or "--help")
            {
                error = Usage;
                return null;
            }

            if (i + 1 >= args.Count)
            {
                error = $"{name} needs a value. {Usage}";
                return null;
            }

            var value = args[++i];
            switch (name)
            {
                case "--nodes" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var nodes) && nodes >= 3:
                    settings = settings with { Nodes = nodes };
                    break;
                case "--keys" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var keys) && keys >= 1:
                    settings = settings with { Keys = keys };
                    break;
                case "--seed" when ulong.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seed):
                    settings = settings with { Seed = seed };
                    break;
                default:
                    error = $"Bad argument '{name} {value}' (nodes >= 3, keys >= 1, seed a non-negative integer). {Usage}";
                    return null;
            }
        }

        return settings;
    }
}
