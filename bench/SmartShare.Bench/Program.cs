using BenchmarkDotNet.Running;
using SmartShare.Bench.DhtSimulation;

namespace SmartShare.Bench;

/// <summary>
/// Micro-benchmarks of the LBRY stream building blocks. Pick them with BenchmarkDotNet's switches, e.g.
/// <c>dotnet run -c Release --project bench/SmartShare.Bench -- --filter '*BlobCrypto*'</c>.
/// The end-to-end share benchmark is <c>scripts/bench</c>; <c>dht-simulation [--nodes N] [--keys K] [--seed S]</c>
/// runs the Kademlia network simulation instead (<c>bench/dht-simulation.sh</c>).
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "dht-simulation")
        {
            return DhtSimulationRunner.Run(args[1..]);
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
